//! Gateway events as the API reads and marks them: lists, a manual retry (marked due for the
//! scheduler), mute, and the events a request retry adds. Routing and delivery write the rest.

use super::table::Table;
use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Event {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub connection_id: Uuid,
    pub source_id: Uuid,
    pub destination_id: Uuid,
    pub request_id: Uuid,
    pub status: String,
    pub attempts: i32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub response_status: Option<i32>,
    pub error_code: Option<String>,
    pub successful_at: Option<DateTime<Utc>>,
    pub muted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Event {
    /// A new, untried event of a request for a connection (`insert_due` stores it).
    pub fn draft(
        organization_id: Uuid,
        connection_id: Uuid,
        source_id: Uuid,
        destination_id: Uuid,
        request_id: Uuid,
        status: &str,
    ) -> Self {
        let now = Utc::now();
        Self {
            id: hookd_domain::new_id(),
            organization_id,
            connection_id,
            source_id,
            destination_id,
            request_id,
            status: status.to_owned(),
            attempts: 0,
            last_attempt_at: None,
            next_attempt_at: None,
            response_status: None,
            error_code: None,
            successful_at: None,
            muted_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

const COLUMNS: &str = "e.id, e.organization_id, e.connection_id, e.source_id, \
    e.destination_id, e.request_id, e.status, e.attempts, e.last_attempt_at, e.next_attempt_at, \
    e.response_status, e.error_code, e.successful_at, e.muted_at, e.created_at, e.updated_at";

const TABLE: Table<Event> = Table {
    name: "gw_events",
    alias: "e",
    columns: COLUMNS,
    from_row,
};

/// `order_by=last_attempt_at`: never-tried events sort as the oldest (a list key is never NULL).
pub const LAST_ATTEMPT_ORDER: &str = "COALESCE(e.last_attempt_at, timestamptz 'epoch')";

fn from_row(r: &Row) -> Event {
    Event {
        id: r.get("id"),
        organization_id: r.get("organization_id"),
        connection_id: r.get("connection_id"),
        source_id: r.get("source_id"),
        destination_id: r.get("destination_id"),
        request_id: r.get("request_id"),
        status: r.get("status"),
        attempts: r.get("attempts"),
        last_attempt_at: r.get("last_attempt_at"),
        next_attempt_at: r.get("next_attempt_at"),
        response_status: r.get("response_status"),
        error_code: r.get("error_code"),
        successful_at: r.get("successful_at"),
        muted_at: r.get("muted_at"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Event, DbError> {
    TABLE.get(client, organization_id, id).await
}

/// A page of the organization's events; `request_id` narrows it to one request's.
pub async fn list(
    client: &impl GenericClient,
    organization_id: Uuid,
    request_id: Option<Uuid>,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Event>, DbError> {
    let cond = "($2::uuid IS NULL OR e.request_id = $2)";
    TABLE
        .list(
            client,
            organization_id,
            cond,
            params![request_id],
            filters,
            page,
        )
        .await
}

/// How many of the organization's events the filters select.
pub async fn count(
    client: &impl GenericClient,
    organization_id: Uuid,
    filters: &[Filter],
) -> Result<i64, DbError> {
    crate::list::count(
        client,
        "SELECT count(*) FROM gw_events e WHERE e.organization_id = $1",
        params![organization_id],
        filters,
    )
    .await
}

/// Marks the event due now for a try of `trigger` (MANUAL, BULK_RETRY); the scheduler sends it.
pub async fn mark_due(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
    trigger: &str,
    bulk_retry_id: Option<Uuid>,
) -> Result<Event, DbError> {
    client
        .query_opt(
            &format!(
                "UPDATE gw_events e SET status = 'QUEUED', next_attempt_at = now(),
                    queued = false, next_trigger = $3, next_bulk_retry_id = $4, updated_at = now()
                 WHERE e.id = $1 AND e.organization_id = $2 RETURNING {COLUMNS}"
            ),
            &[&id, &organization_id, &trigger, &bulk_retry_id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

/// Of these events, marks those not in flight due for a BULK_RETRY try of `bulk_retry_id`;
/// returns how many were marked.
pub async fn mark_bulk_due(
    client: &impl GenericClient,
    ids: &[Uuid],
    bulk_retry_id: Uuid,
) -> Result<u64, DbError> {
    Ok(client
        .execute(
            "UPDATE gw_events SET status = 'QUEUED', next_attempt_at = now(),
                next_trigger = 'BULK_RETRY', next_bulk_retry_id = $2, updated_at = now()
             WHERE id = ANY($1) AND NOT queued",
            &[&ids, &bulk_retry_id],
        )
        .await?)
}

/// No more automatic tries: a failed event's next retry is dropped, an untried one ends
/// FAILED with CANCELLED. A try already in flight (`queued`) finishes; `muted_at` tells the
/// engine to schedule none after it.
pub async fn mute(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Event, DbError> {
    client
        .query_opt(
            &format!(
                "UPDATE gw_events e SET muted_at = COALESCE(e.muted_at, now()), updated_at = now(),
                    status = CASE WHEN u.untried THEN 'FAILED' ELSE e.status END,
                    error_code = CASE WHEN u.untried THEN 'CANCELLED' ELSE e.error_code END,
                    next_attempt_at = CASE WHEN u.untried OR (e.status = 'FAILED' AND NOT e.queued) THEN NULL
                        ELSE e.next_attempt_at END
                 FROM (SELECT id, (attempts = 0 AND status <> 'SUCCESSFUL' AND NOT queued) AS untried
                       FROM gw_events WHERE id = $1 AND organization_id = $2 FOR UPDATE) u
                 WHERE e.id = u.id RETURNING {COLUMNS}"
            ),
            &[&id, &organization_id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

/// A new event of a request for a connection, due now (`status` QUEUED, or HOLD for a paused
/// connection); `None` if the connection already has an event of this request.
pub async fn insert_due(client: &impl GenericClient, e: &Event) -> Result<Option<Event>, DbError> {
    Ok(client
        .query_opt(
            &format!(
                "INSERT INTO gw_events AS e (id, organization_id, connection_id, source_id,
                    destination_id, request_id, status, next_attempt_at)
                 SELECT $1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6::uuid, $7::text,
                    CASE WHEN $7::text = 'QUEUED' THEN now() END
                 -- The connection's key is checked by this read (0027).
                 WHERE EXISTS (SELECT 1 FROM gw_connections c WHERE c.id = $3::uuid)
                 ON CONFLICT (request_id, connection_id) DO NOTHING RETURNING {COLUMNS}"
            ),
            &[
                &e.id,
                &e.organization_id,
                &e.connection_id,
                &e.source_id,
                &e.destination_id,
                &e.request_id,
                &e.status,
            ],
        )
        .await?
        .map(|r| from_row(&r)))
}

/// The connections that have an event of this request.
pub async fn connections_with_events(
    client: &impl GenericClient,
    request_id: Uuid,
) -> Result<Vec<Uuid>, DbError> {
    Ok(client
        .query(
            "SELECT connection_id FROM gw_events WHERE request_id = $1",
            &[&request_id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}
