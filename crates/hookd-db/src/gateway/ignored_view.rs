//! A request's ignored events (one per connection that made no event, and why), as the API
//! reads them; routing writes them.

use crate::{params, DbError, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct IgnoredEvent {
    pub id: Uuid,
    pub request_id: Uuid,
    pub connection_id: Option<Uuid>,
    pub cause: String,
    pub meta: Option<Value>,
    pub created_at: DateTime<Utc>,
}

fn from_row(r: &Row) -> IgnoredEvent {
    IgnoredEvent {
        id: r.get("id"),
        request_id: r.get("request_id"),
        connection_id: r.get("connection_id"),
        cause: r.get("cause"),
        meta: r.get("meta"),
        created_at: r.get("created_at"),
    }
}

/// A page of the ignored events of a request of the organization.
pub async fn of_request(
    client: &impl GenericClient,
    organization_id: Uuid,
    request_id: Uuid,
    page: &Page,
) -> Result<Listed<IgnoredEvent>, DbError> {
    crate::list::list(
        client,
        "SELECT i.id, i.request_id, i.connection_id, i.cause, i.meta, i.created_at
         FROM gw_ignored_events i JOIN gw_requests r ON r.id = i.request_id
         WHERE r.organization_id = $1 AND i.request_id = $2",
        "i",
        params![organization_id, request_id],
        &[],
        page,
        from_row,
    )
    .await
}
