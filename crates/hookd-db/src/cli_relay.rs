//! Deliveries of `cli` endpoints, handed to a connected `hookctl listen` instead of POSTed by a
//! worker. A cli delivery that is due and has no CLI holding it is *parked*: `pending`, not
//! queued, `next_attempt_at` NULL, so the retry scheduler leaves it alone and it waits (as for
//! a down endpoint) until a CLI claims it. A CLI's claim is a lease (`next_attempt_at` = its
//! end, not queued): when the CLI goes away its stream releases what it held, and if ingest dies
//! first the lease runs out and the scheduler's job brings the delivery back to park.

use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use hookd_domain::Message;
use uuid::Uuid;

/// Parks a cli delivery whose job reached a worker: it waits for a CLI. A job older than the
/// delivery (its try was recorded since) changes nothing. Answers whether it parked.
pub async fn park(
    client: &impl GenericClient,
    delivery_id: Uuid,
    attempt: i32,
) -> Result<bool, DbError> {
    let n = client
        .execute(
            &client.prepare_cached("UPDATE deliveries SET queued = false, next_attempt_at = NULL, updated_at = now()
             WHERE id = $1 AND status = 'pending' AND queued AND attempt_count < $2").await?,
            &[&delivery_id, &attempt],
        )
        .await?;
    Ok(n > 0)
}

/// One delivery handed to a CLI.
#[derive(Debug, Clone)]
pub struct Handout {
    pub delivery_id: Uuid,
    /// The try this is (1-based).
    pub attempt: i32,
    pub message: Message,
    pub task_id: Option<Uuid>,
    /// When the CLI's hold on it ends.
    pub lease_until: DateTime<Utc>,
}

/// Claims up to `limit` of the endpoint's deliveries that wait for a CLI (parked, or due: a
/// retry whose time came, a lease that ran out), oldest first, leased until `lease_until`.
/// Nothing while the endpoint is disabled.
pub async fn claim(
    client: &impl GenericClient,
    endpoint_id: Uuid,
    limit: i64,
    lease_until: DateTime<Utc>,
) -> Result<Vec<Handout>, DbError> {
    let rows = client
        .query(
            &client
                .prepare_cached(
                    "WITH due AS (
                SELECT d.id FROM deliveries d
                WHERE d.endpoint_id = $1 AND d.status = 'pending' AND NOT d.waiting
                    AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now())
                    AND EXISTS (SELECT 1 FROM endpoints n WHERE n.id = $1 AND n.status = 'enabled')
                ORDER BY d.created_at LIMIT $2
                FOR UPDATE SKIP LOCKED
             ), claimed AS (
                UPDATE deliveries d SET next_attempt_at = $3, queued = false, updated_at = now()
                FROM due WHERE d.id = due.id
                RETURNING d.id, d.message_id, d.attempt_count, d.created_at AS delivery_created
             )
             SELECT c.id AS delivery_id, c.attempt_count,
                m.id, m.event_type, m.version, m.event_id, m.data, m.created_at, m.expunged_at,
                m.task_id
             FROM claimed c JOIN messages m ON m.id = c.message_id
             ORDER BY c.delivery_created",
                )
                .await?,
            &[&endpoint_id, &limit, &lease_until],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Handout {
            delivery_id: r.get("delivery_id"),
            attempt: r.get::<_, i32>("attempt_count") + 1,
            message: crate::messages::from_row(r),
            task_id: r.get("task_id"),
            lease_until,
        })
        .collect())
}

/// Gives back what a CLI held and did not report (its stream ended): parked again, for the
/// next CLI. A delivery whose try was reported, or that was claimed again since, is left alone.
pub async fn release(client: &impl GenericClient, held: &[Handout]) -> Result<u64, DbError> {
    let ids: Vec<Uuid> = held.iter().map(|h| h.delivery_id).collect();
    let counts: Vec<i32> = held.iter().map(|h| h.attempt - 1).collect();
    let leases: Vec<DateTime<Utc>> = held.iter().map(|h| h.lease_until).collect();
    Ok(client
        .execute(
            &client
                .prepare_cached(
                    "UPDATE deliveries d SET next_attempt_at = NULL, updated_at = now()
             FROM unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS h(id, attempt_count, lease)
             WHERE d.id = h.id AND d.status = 'pending' AND NOT d.queued
                AND d.attempt_count = h.attempt_count AND d.next_attempt_at = h.lease",
                )
                .await?,
            &[&ids, &counts, &leases],
        )
        .await?)
}

/// The message (and its task) of one of the endpoint's deliveries, for a CLI's report; `None`
/// when the delivery is not the endpoint's.
pub async fn reported(
    client: &impl GenericClient,
    endpoint_id: Uuid,
    delivery_id: Uuid,
) -> Result<Option<(Uuid, Option<Uuid>)>, DbError> {
    let row = client
        .query_opt(
            &client
                .prepare_cached(
                    "SELECT d.message_id, m.task_id FROM deliveries d
             JOIN messages m ON m.id = d.message_id
             WHERE d.id = $1 AND d.endpoint_id = $2",
                )
                .await?,
            &[&delivery_id, &endpoint_id],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Which of `held` a CLI still holds: not reported, not released, not claimed again.
pub async fn still_held(
    client: &impl GenericClient,
    held: &[Handout],
) -> Result<Vec<Uuid>, DbError> {
    let ids: Vec<Uuid> = held.iter().map(|h| h.delivery_id).collect();
    let counts: Vec<i32> = held.iter().map(|h| h.attempt - 1).collect();
    let leases: Vec<DateTime<Utc>> = held.iter().map(|h| h.lease_until).collect();
    let rows = client
        .query(
            &client
                .prepare_cached(
                    "SELECT d.id FROM deliveries d
             JOIN unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS h(id, attempt_count, lease)
                ON d.id = h.id
             WHERE d.status = 'pending' AND NOT d.queued
                AND d.attempt_count = h.attempt_count AND d.next_attempt_at = h.lease",
                )
                .await?,
            &[&ids, &counts, &leases],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
