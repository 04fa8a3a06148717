//! Events of CLI destinations (`cli_path`, no `url`), handed to a connected `hookctl listen
//! --source` instead of POSTed, as `crate::cli_relay` does for `/api/v1` cli endpoints. An
//! event whose job reached a worker is *parked*: `QUEUED`, not queued, `next_attempt_at` NULL,
//! so the scheduler leaves it alone and it waits (as for a down destination) for a CLI. A CLI's
//! claim is a lease (`next_attempt_at` = its end, still not queued): the stream releases what it
//! held when it ends, and if ingest dies first the lease runs out and the scheduler's job brings
//! the event back to park. Pause, mute and retry rules stay the scheduler's: it claims what is
//! due, the worker parks it, and only parked events are handed out here.

use super::dispatch::DueEvent;
use super::routing::{
    destination_from_row, inbound_from_row, DESTINATION_COLUMNS, INBOUND_COLUMNS,
};
use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// The job url of a CLI destination's events (`DestinationRoute::target`): a worker that gets
/// one parks the event instead of sending it.
pub const CLI_TARGET: &str = hookd_domain::EndpointKind::CLI_URL;

/// Parks an event of a CLI destination whose job reached a worker: it waits for a CLI. A job
/// older than the event (its try was recorded since) changes nothing. Answers whether it parked.
pub async fn park(
    client: &impl GenericClient,
    event_id: Uuid,
    attempt: i32,
) -> Result<bool, DbError> {
    let n = client
        .execute(
            &client.prepare_cached("UPDATE gw_events SET queued = false, next_attempt_at = NULL, updated_at = now()
             WHERE id = $1 AND status = 'QUEUED' AND queued AND attempts < $2").await?,
            &[&event_id, &attempt],
        )
        .await?;
    Ok(n > 0)
}

/// One event handed to a CLI.
#[derive(Debug, Clone)]
pub struct GatewayHandout {
    pub event: DueEvent,
    /// The destination's `cli_path`.
    pub cli_path: String,
    /// When the CLI's hold on it ends.
    pub lease_until: DateTime<Utc>,
}

impl GatewayHandout {
    /// The try this is (1-based).
    pub fn attempt(&self) -> i32 {
        self.event.attempts + 1
    }
}

/// Claims up to `limit` parked events of the source's CLI destinations, oldest first, leased
/// until `lease_until`. Nothing for a disabled destination or a paused connection.
pub async fn claim(
    client: &impl GenericClient,
    source_id: Uuid,
    limit: i64,
    lease_until: DateTime<Utc>,
) -> Result<Vec<GatewayHandout>, DbError> {
    let rows = client
        .query(
            &client
                .prepare_cached(&format!(
                    "WITH parked AS (
                    SELECT e.id FROM gw_events e
                    JOIN gw_destinations d ON d.id = e.destination_id
                    JOIN gw_connections c ON c.id = e.connection_id
                    WHERE e.source_id = $1 AND e.status = 'QUEUED' AND NOT e.queued
                      AND e.next_attempt_at IS NULL
                      AND d.url IS NULL AND d.cli_path IS NOT NULL AND d.disabled_at IS NULL
                      AND c.paused_at IS NULL
                    ORDER BY e.created_at LIMIT $2
                    FOR UPDATE OF e SKIP LOCKED
                 ), claimed AS (
                    UPDATE gw_events e SET next_attempt_at = $3, updated_at = now()
                    FROM parked WHERE e.id = parked.id
                    RETURNING e.id, e.attempts, e.next_trigger, e.request_id, e.destination_id,
                        e.created_at AS event_created_at
                 )
                 SELECT k.id AS event_id, k.attempts, k.next_trigger, {INBOUND_COLUMNS},
                    {DESTINATION_COLUMNS}, d.cli_path, COALESCE(g.revision, 0) AS signing_revision
                 FROM claimed k
                 JOIN gw_requests r ON r.id = k.request_id
                 JOIN gw_sources s ON s.id = r.source_id
                 JOIN gw_destinations d ON d.id = k.destination_id
                 LEFT JOIN gw_signing_secrets g ON g.organization_id = r.organization_id
                 ORDER BY k.event_created_at"
                ))
                .await?,
            &[&source_id, &limit, &lease_until],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| GatewayHandout {
            event: DueEvent {
                id: r.get("event_id"),
                attempts: r.get("attempts"),
                trigger: r.get("next_trigger"),
                request: inbound_from_row(r),
                destination: destination_from_row(r),
                signing_revision: r.get("signing_revision"),
            },
            cli_path: r.get("cli_path"),
            lease_until,
        })
        .collect())
}

fn keys(held: &[GatewayHandout]) -> (Vec<Uuid>, Vec<i32>, Vec<DateTime<Utc>>) {
    (
        held.iter().map(|h| h.event.id).collect(),
        held.iter().map(|h| h.event.attempts).collect(),
        held.iter().map(|h| h.lease_until).collect(),
    )
}

/// Gives back what a CLI held and did not report (its stream ended): parked again, for the
/// next CLI. An event whose try was reported, or that was claimed again since, is left alone.
pub async fn release(client: &impl GenericClient, held: &[GatewayHandout]) -> Result<u64, DbError> {
    let (ids, attempts, leases) = keys(held);
    Ok(client
        .execute(
            &client
                .prepare_cached(
                    "UPDATE gw_events e SET next_attempt_at = NULL, updated_at = now()
             FROM unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS h(id, attempts, lease)
             WHERE e.id = h.id AND e.status = 'QUEUED' AND NOT e.queued
                AND e.attempts = h.attempts AND e.next_attempt_at = h.lease",
                )
                .await?,
            &[&ids, &attempts, &leases],
        )
        .await?)
}

/// Which of `held` a CLI still holds: not reported, not released, not claimed again.
pub async fn still_held(
    client: &impl GenericClient,
    held: &[GatewayHandout],
) -> Result<Vec<Uuid>, DbError> {
    let (ids, attempts, leases) = keys(held);
    let rows = client
        .query(
            &client
                .prepare_cached(
                    "SELECT e.id FROM gw_events e
             JOIN unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS h(id, attempts, lease)
                ON e.id = h.id
             WHERE e.status = 'QUEUED' AND NOT e.queued
                AND e.attempts = h.attempts AND e.next_attempt_at = h.lease",
                )
                .await?,
            &[&ids, &attempts, &leases],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// What recording a CLI's report of try `attempt` needs: the event's destination, the
/// trigger of the try and the method it was sent with. `None` unless the event is the source's, of a CLI destination, and
/// waiting for exactly that try (a report that came twice, or late after another CLI's, is
/// not recorded again).
pub async fn reported(
    client: &impl GenericClient,
    source_id: Uuid,
    event_id: Uuid,
    attempt: i32,
) -> Result<Option<(Uuid, String, String)>, DbError> {
    let row = client
        .query_opt(
            &client
                .prepare_cached(
                    "SELECT e.destination_id, e.next_trigger, COALESCE(d.http_method, r.method)
             FROM gw_events e
             JOIN gw_destinations d ON d.id = e.destination_id
             JOIN gw_requests r ON r.id = e.request_id
             WHERE e.id = $1 AND e.source_id = $2 AND e.status = 'QUEUED'
               AND e.attempts = $3 - 1 AND d.url IS NULL",
                )
                .await?,
            &[&event_id, &source_id, &attempt],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
}
