//! What the console shows of gateway events and their attempts: reads only (the delivery
//! engine writes them), each event with its connection's full name.

use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

/// An event as a list or page shows it.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: Uuid,
    pub connection_id: Uuid,
    /// `"<source name> -> <connection name>"`.
    pub connection: String,
    pub request_id: Uuid,
    pub status: String,
    pub attempts: i32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub response_status: Option<i32>,
    pub error_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT e.id, e.connection_id, e.request_id, e.status, e.attempts,
        e.last_attempt_at, e.next_attempt_at, e.response_status, e.error_code, e.created_at,
        s.name || ' -> ' || c.name AS connection
    FROM gw_events e
    JOIN gw_connections c ON c.id = e.connection_id
    JOIN gw_sources s ON s.id = c.source_id
    WHERE e.organization_id = $1";

fn event(r: &Row) -> EventRow {
    EventRow {
        id: r.get("id"),
        connection_id: r.get("connection_id"),
        connection: r.get("connection"),
        request_id: r.get("request_id"),
        status: r.get("status"),
        attempts: r.get("attempts"),
        last_attempt_at: r.get("last_attempt_at"),
        next_attempt_at: r.get("next_attempt_at"),
        response_status: r.get("response_status"),
        error_code: r.get("error_code"),
        created_at: r.get("created_at"),
    }
}

/// A page of the organization's events (of one request, when given), by keyset on
/// (created_at, id).
pub async fn list(
    client: &impl GenericClient,
    organization_id: Uuid,
    request_id: Option<Uuid>,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<EventRow>, DbError> {
    let mut sql = SELECT.to_owned();
    let mut params = params![organization_id];
    if let Some(r) = request_id {
        params.push(Box::new(r));
        sql.push_str(" AND e.request_id = $2");
    }
    crate::list::list(client, &sql, "e", params, filters, page, event).await
}

/// One event of the organization.
pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<EventRow, DbError> {
    client
        .query_opt(&format!("{SELECT} AND e.id = $2"), &[&organization_id, &id])
        .await?
        .map(|r| event(&r))
        .ok_or(DbError::NotFound)
}

/// A try of an event.
#[derive(Debug, Clone)]
pub struct AttemptRow {
    pub id: Uuid,
    pub attempt_number: i32,
    pub trigger: String,
    pub status: String,
    pub response_status: Option<i32>,
    pub error_code: Option<String>,
    /// The answer's body, cut at 4 KiB.
    pub body: Option<String>,
    pub requested_url: String,
    pub http_method: String,
    pub duration_ms: i32,
    pub created_at: DateTime<Utc>,
}

/// The tries of some events of the organization, oldest first.
pub async fn attempts(
    client: &impl GenericClient,
    organization_id: Uuid,
    event_ids: &[Uuid],
) -> Result<Vec<(Uuid, AttemptRow)>, DbError> {
    let rows = client
        .query(
            "SELECT id, event_id, attempt_number, trigger, status, response_status, error_code,
                    body, requested_url, http_method, duration_ms, created_at
             FROM gw_attempts WHERE organization_id = $1 AND event_id = ANY($2)
             ORDER BY created_at, id",
            &[&organization_id, &event_ids],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get("event_id"),
                AttemptRow {
                    id: r.get("id"),
                    attempt_number: r.get("attempt_number"),
                    trigger: r.get("trigger"),
                    status: r.get("status"),
                    response_status: r.get("response_status"),
                    error_code: r.get("error_code"),
                    body: r.get("body"),
                    requested_url: r.get("requested_url"),
                    http_method: r.get("http_method"),
                    duration_ms: r.get("duration_ms"),
                    created_at: r.get("created_at"),
                },
            )
        })
        .collect())
}
