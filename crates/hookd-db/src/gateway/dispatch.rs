//! Gateway events on their way out: the scheduler's claim of due events, holding and releasing
//! them on pause/unpause, putting a job off, and recording a try.

use super::routing::{
    destination_from_row, inbound_from_row, DestinationRoute, Inbound, DESTINATION_COLUMNS,
    INBOUND_COLUMNS,
};
use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use uuid::Uuid;

/// An event claimed for a try.
#[derive(Debug, Clone)]
pub struct DueEvent {
    pub id: Uuid,
    /// Tries made so far: this one is `attempts + 1`.
    pub attempts: i32,
    pub trigger: String,
    pub request: Inbound,
    pub destination: DestinationRoute,
    pub signing_revision: i64,
}

/// Claims up to `limit` due events (delay over, retry due, lease run out, or marked due by a
/// manual, bulk or unpause retry) with `SKIP LOCKED`, leasing each until `lease_until`. Due
/// events of a paused connection are held instead; a muted event gets no automatic try.
pub async fn claim_due(
    client: &impl GenericClient,
    limit: i64,
    lease_until: DateTime<Utc>,
) -> Result<Vec<DueEvent>, DbError> {
    // Held, not claimed: pause raced a due event, or a failed one's retry came due.
    client
        .execute(
            &client.prepare_cached("UPDATE gw_events e SET status = 'HOLD', queued = false, next_attempt_at = NULL,
                updated_at = now()
             FROM gw_connections c
             WHERE c.id = e.connection_id AND c.paused_at IS NOT NULL
               AND e.next_attempt_at IS NOT NULL AND e.next_attempt_at <= now()
               AND e.status IN ('SCHEDULED', 'QUEUED', 'FAILED')
               AND e.next_trigger NOT IN ('MANUAL', 'BULK_RETRY')").await?,
            &[],
        )
        .await?;
    client
        .execute(
            &client.prepare_cached("UPDATE gw_events SET next_attempt_at = NULL, queued = false, updated_at = now()
             WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= now()
               AND status = 'FAILED' AND muted_at IS NOT NULL AND next_trigger = 'AUTOMATIC'").await?,
            &[],
        )
        .await?;
    let rows = client
        .query(
            &client
                .prepare_cached(&format!(
                    "WITH due AS (
                    SELECT id FROM gw_events
                    WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= now()
                      AND status IN ('SCHEDULED', 'QUEUED', 'FAILED')
                    ORDER BY next_attempt_at LIMIT $1
                    FOR UPDATE SKIP LOCKED
                 ), claimed AS (
                    UPDATE gw_events e SET status = 'QUEUED', queued = true,
                        next_attempt_at = $2, updated_at = now()
                    FROM due WHERE e.id = due.id
                    RETURNING e.id, e.attempts, e.next_trigger, e.request_id, e.destination_id
                 )
                 SELECT k.id AS event_id, k.attempts, k.next_trigger, {INBOUND_COLUMNS},
                    {DESTINATION_COLUMNS}, COALESCE(g.revision, 0) AS signing_revision
                 FROM claimed k
                 JOIN gw_requests r ON r.id = k.request_id
                 JOIN gw_sources s ON s.id = r.source_id
                 JOIN gw_destinations d ON d.id = k.destination_id
                 LEFT JOIN gw_signing_secrets g ON g.organization_id = r.organization_id"
                ))
                .await?,
            &[&limit, &lease_until],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| DueEvent {
            id: r.get("event_id"),
            attempts: r.get("attempts"),
            trigger: r.get("next_trigger"),
            request: inbound_from_row(r),
            destination: destination_from_row(r),
            signing_revision: r.get("signing_revision"),
        })
        .collect())
}

/// Pause: events of the connection not in flight are held. Returns how many.
pub async fn hold(client: &impl GenericClient, connection_id: Uuid) -> Result<u64, DbError> {
    Ok(client
        .execute(
            &client.prepare_cached("UPDATE gw_events SET status = 'HOLD', next_attempt_at = NULL, updated_at = now()
             WHERE connection_id = $1 AND NOT queued
               AND (status IN ('SCHEDULED', 'QUEUED')
                    OR (status = 'FAILED' AND next_attempt_at IS NOT NULL))").await?,
            &[&connection_id],
        )
        .await?)
}

/// Unpause: held events are due now, their next try an `UNPAUSE` one. Returns how many.
pub async fn release(client: &impl GenericClient, connection_id: Uuid) -> Result<u64, DbError> {
    Ok(client
        .execute(
            &client.prepare_cached("UPDATE gw_events SET status = 'QUEUED', next_attempt_at = now(), queued = false,
                next_trigger = 'UNPAUSE', updated_at = now()
             WHERE connection_id = $1 AND status = 'HOLD'").await?,
            &[&connection_id],
        )
        .await?)
}

/// Puts a job off (its destination's cap, circuit or rate limit said wait): the scheduler
/// sends it at `at`.
pub async fn postpone(
    client: &impl GenericClient,
    event_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    client
        .execute(
            &client
                .prepare_cached(
                    "UPDATE gw_events SET next_attempt_at = $2, queued = false, updated_at = now()
             WHERE id = $1 AND status = 'QUEUED'",
                )
                .await?,
            &[&event_id, &at],
        )
        .await?;
    Ok(())
}

/// Whether try `attempt` (1-based) of the event, or a later one, is recorded: a job the broker
/// hands out again after its first consumer sent it and lost only the ack.
pub async fn tried(
    client: &impl GenericClient,
    event_id: Uuid,
    attempt: i32,
) -> Result<bool, DbError> {
    let row = client
        .query_one(
            &client
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM gw_attempts
                WHERE event_id = $1 AND attempt_number >= $2)",
                )
                .await?,
            &[&event_id, &attempt],
        )
        .await?;
    Ok(row.get(0))
}

/// What deciding the next try needs to know about an event, read under its row lock.
#[derive(Debug, Clone)]
pub struct EventState {
    /// Automatic tries made, this one counted if it was one.
    pub automatic_tries: i32,
    pub muted: bool,
    /// The connection's rules.
    pub rules: Value,
}

/// One try of an event.
#[derive(Debug, Clone)]
pub struct TryRecord {
    pub event_id: Uuid,
    pub destination_id: Uuid,
    pub trigger: String,
    pub succeeded: bool,
    pub response_status: Option<i32>,
    pub error_code: Option<String>,
    /// The answer's body (cut to 4 KiB by the caller).
    pub body: Option<String>,
    pub requested_url: String,
    pub http_method: String,
    pub duration_ms: i32,
}

/// The event after a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub attempt_number: i32,
    pub attempt_id: Uuid,
    /// A failed try with an automatic retry due.
    pub retry_at: Option<DateTime<Utc>>,
}

/// A destination's auth method as stored (`config` sealed JSON) and its revision.
#[derive(Debug, Clone)]
pub struct DestinationAuth {
    pub auth_type: String,
    pub config: Option<String>,
    pub revision: i64,
}

pub async fn destination_auth(
    client: &impl GenericClient,
    destination_id: Uuid,
) -> Result<DestinationAuth, DbError> {
    client
        .query_opt(
            &client
                .prepare_cached(
                    "SELECT auth_type, auth_config, updated_at FROM gw_destinations WHERE id = $1",
                )
                .await?,
            &[&destination_id],
        )
        .await?
        .map(|r| DestinationAuth {
            auth_type: r.get(0),
            config: r.get(1),
            revision: r.get::<_, DateTime<Utc>>(2).timestamp_micros(),
        })
        .ok_or(DbError::NotFound)
}
