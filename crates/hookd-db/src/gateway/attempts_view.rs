//! Gateway attempts as the API reads them (delivery writes them).

use super::table::Table;
use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub event_id: Uuid,
    pub destination_id: Uuid,
    pub attempt_number: i32,
    pub trigger: String,
    pub status: String,
    pub response_status: Option<i32>,
    pub error_code: Option<String>,
    pub body: Option<String>,
    pub requested_url: String,
    pub http_method: String,
    pub bulk_retry_id: Option<Uuid>,
    pub duration_ms: i32,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "a.id, a.organization_id, a.event_id, a.destination_id, \
    a.attempt_number, a.trigger, a.status, a.response_status, a.error_code, a.body, \
    a.requested_url, a.http_method, a.bulk_retry_id, a.duration_ms, a.created_at";

const TABLE: Table<Attempt> = Table {
    name: "gw_attempts",
    alias: "a",
    columns: COLUMNS,
    from_row,
};

fn from_row(r: &Row) -> Attempt {
    Attempt {
        id: r.get("id"),
        organization_id: r.get("organization_id"),
        event_id: r.get("event_id"),
        destination_id: r.get("destination_id"),
        attempt_number: r.get("attempt_number"),
        trigger: r.get("trigger"),
        status: r.get("status"),
        response_status: r.get("response_status"),
        error_code: r.get("error_code"),
        body: r.get("body"),
        requested_url: r.get("requested_url"),
        http_method: r.get("http_method"),
        bulk_retry_id: r.get("bulk_retry_id"),
        duration_ms: r.get("duration_ms"),
        created_at: r.get("created_at"),
    }
}

pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Attempt, DbError> {
    TABLE.get(client, organization_id, id).await
}

pub async fn list(
    client: &impl GenericClient,
    organization_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Attempt>, DbError> {
    TABLE
        .list(client, organization_id, "true", params![], filters, page)
        .await
}
