//! Fifo lanes (issue 18, migration 0013): a fifo endpoint's deliveries wait in a lane per
//! `ordering_key` value and go one at a time, in message id order (UUID v7: the order ingest
//! accepted them). Promotion is the one way a waiting delivery becomes due; it runs after the
//! fan-out that adds to a lane, after the head settles, and in a periodic sweep (the backstop
//! for a crash between a head's final status and the promotion of the next).

use crate::attempt_record::{self, AttemptRecord, Settled};
use crate::deliveries::{due_from_row, Due, DUE_SELECT};
use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use futures_util::future::{join4, join5};
use hookd_domain::DeliveryStatus;
use std::sync::LazyLock;
use tokio_postgres::Row;
use uuid::Uuid;

/// One lane: an endpoint and a key value (`SHARED_LANE` for messages without one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lane {
    pub endpoint_id: Uuid,
    pub lane: String,
}

impl Lane {
    /// From a row's `endpoint_id` and `lane` columns; `None` for an unordered delivery.
    pub(crate) fn from_row(r: &Row) -> Option<Lane> {
        Some(Lane {
            endpoint_id: r.get("endpoint_id"),
            lane: r.get::<_, Option<String>>("lane")?,
        })
    }
}

/// Promotes the next delivery of each lane whose head has settled and leases it until
/// `lease_until` (its job is then the caller's to publish; a lost publish is resent when the
/// lease runs out, like any job). A lane waits while a message of its app older than its next
/// one is not routed yet, so a message the router takes late still goes in its place.
///
/// Promotions of one lane are serialised by a transaction-scoped advisory lock, so two
/// replicas settling or sweeping the same lane never promote two heads.
///
/// The transaction commits without waiting for its WAL flush (`synchronous_commit = off`): a
/// promotion lost to a PostgreSQL crash leaves the delivery waiting again (the sweep promotes
/// it anew: a duplicate, never a skip); and a promotion cannot be lost once anything after it
/// is durable, since WAL is flushed in order: the promoted job's own attempt record flushes
/// it.
pub async fn promote(
    client: &Client,
    lanes: &[Lane],
    lease_until: DateTime<Utc>,
) -> Result<Vec<Due>, DbError> {
    if lanes.is_empty() {
        return Ok(Vec::new());
    }
    let endpoints: Vec<Uuid> = lanes.iter().map(|l| l.endpoint_id).collect();
    let keys: Vec<&str> = lanes.iter().map(|l| l.lane.as_str()).collect();
    let lock = client.prepare_cached(&LOCK_LISTED).await?;
    let next = client.prepare_cached(&NEXT_LISTED).await?;
    let c: &tokio_postgres::Client = client;
    // One round trip: see `settle_and_promote`.
    let (begin, locked, rows, commit) = join4(
        c.batch_execute(ASYNC_TRANSACTION),
        c.execute(&lock, &[&endpoints, &keys]),
        c.query(&next, &[&endpoints, &keys, &lease_until]),
        c.batch_execute("COMMIT"),
    )
    .await;
    begin?;
    locked?;
    let rows = rows?;
    commit?;
    Ok(rows.iter().map(due_from_row).collect())
}

/// Records the attempts of fifo lanes' deliveries and, for each head that reached a final
/// status, promotes its lane's next delivery (leased until `lease_until`), in one transaction
/// with one commit: a crash leaves both or neither. That commit waits for its WAL flush
/// (`synchronous_commit = on`, whatever the connection's default), and only then does the
/// next message go: a settle lost to a PostgreSQL crash after its successor was sent would
/// send the head again after it, out of order for a receiver that keeps duplicates. The attempt
/// record locks its deliveries' rows before the lanes' advisory locks are taken; no promoter
/// waits for a row of a head in flight while it holds a lane's lock (it only updates a waiting
/// delivery), so the two lock orders cannot meet in a cycle.
///
/// The statements go in one pipeline, one round trip for the whole transaction: a lane's rate
/// is one try plus one settle, so each round trip saved is a lane's time. The promotion finds
/// its lanes from the rows the record just settled: a record that settled nothing (a stale
/// copy) leaves its lane's head in flight, and a promotion never passes a head in flight.
pub async fn settle_and_promote(
    client: &Client,
    records: &[AttemptRecord],
    lease_until: DateTime<Utc>,
) -> Result<(Vec<Settled>, Vec<Due>), DbError> {
    let record = client.prepare_cached(attempt_record::RECORD).await?;
    let columns = attempt_record::Columns::of(records);
    let finals: Vec<Uuid> = records
        .iter()
        .filter(|r| r.status != DeliveryStatus::Pending)
        .map(|r| r.delivery_id)
        .collect();
    if finals.is_empty() {
        // Retries only: no lane moves on and nothing needs a durable commit.
        let rows = client.query(&record, &columns.params()).await?;
        return Ok((attempt_record::settled_of(&rows), Vec::new()));
    }
    let lock = client.prepare_cached(&LOCK_SETTLED).await?;
    let next = client.prepare_cached(&NEXT_SETTLED).await?;
    let c: &tokio_postgres::Client = client;
    // Each request is sent when its future is first polled, and `join5` polls them in order,
    // so they reach the server in this order without waiting for each other's answers. A
    // failure aborts the transaction: the statements after it fail and COMMIT rolls back.
    let (begin, recorded, locked, rows, commit) = join5(
        c.batch_execute(SYNC_TRANSACTION),
        c.query(&record, &columns.params()),
        c.execute(&lock, &[&finals]),
        c.query(&next, &[&finals, &lease_until]),
        c.batch_execute("COMMIT"),
    )
    .await;
    begin?;
    let settled = attempt_record::settled_of(&recorded?);
    locked?;
    let rows = rows?;
    commit?;
    Ok((settled, rows.iter().map(due_from_row).collect()))
}

/// A promotion's transaction: its commit setting is its own (the delivery worker's
/// connections default to `off`).
const ASYNC_TRANSACTION: &str = "BEGIN; SET LOCAL synchronous_commit = off";
const SYNC_TRANSACTION: &str = "BEGIN; SET LOCAL synchronous_commit = on";

/// The lanes given as arrays ($1 endpoint ids, $2 key values), as `(endpoint_id, lane)`.
const LISTED: &str = "SELECT * FROM unnest($1::uuid[], $2::text[])";
/// The lanes of the deliveries $1 that this transaction settled, as `(endpoint_id, lane)`.
const SETTLED: &str = "SELECT endpoint_id, lane FROM deliveries
    WHERE id = ANY($1::uuid[]) AND lane IS NOT NULL AND status <> 'pending'";

static LOCK_LISTED: LazyLock<String> = LazyLock::new(|| lock_sql(LISTED));
static NEXT_LISTED: LazyLock<String> = LazyLock::new(|| next_sql(LISTED, "$3"));
static LOCK_SETTLED: LazyLock<String> = LazyLock::new(|| lock_sql(SETTLED));
static NEXT_SETTLED: LazyLock<String> = LazyLock::new(|| next_sql(SETTLED, "$2"));

/// The advisory locks of the lanes `lanes` selects, in one order, so two promoters of
/// overlapping lanes cannot deadlock. It also lets the rest of the transaction keep its plans
/// (`auto`, against the pool's per-call planning): planning the promotion cost more than
/// running it, and its generic plan reads deliveries by the lane index even when made on an
/// empty database (EXPLAIN, 2026-12-02). Not sooner: with `auto` from the transaction's start,
/// the attempt record's plan went bad, and so did the promotion's under `force_generic_plan`
/// (each 3-4 ms to run instead of 0.3-0.4, plans made while the tables were empty; S2O,
/// 2026-12-03).
fn lock_sql(lanes: &str) -> String {
    format!(
        "SELECT set_config('plan_cache_mode', 'auto', true), pg_advisory_xact_lock(k)
         FROM (SELECT DISTINCT hashtextextended(e::text || '/' || l, 18) AS k
               FROM ({lanes}) AS x(e, l) ORDER BY k) s"
    )
}

/// The claim of the next delivery of each lane `lanes` selects, leased until `lease`.
fn next_sql(lanes: &str, lease: &str) -> String {
    format!(
        "WITH lanes AS (
                SELECT DISTINCT * FROM ({lanes}) AS l(endpoint_id, lane)
             ), head AS (
                -- The lane's first unsettled delivery: one in flight (not waiting) if any.
                SELECT h.* FROM lanes l CROSS JOIN LATERAL (
                    SELECT d.id, d.message_id, d.app_id, d.waiting FROM deliveries d
                    WHERE d.endpoint_id = l.endpoint_id AND d.lane = l.lane
                      AND d.status = 'pending'
                    ORDER BY d.waiting, d.message_id LIMIT 1
                ) h
             ), next AS (
                SELECT h.id FROM head h
                WHERE h.waiting AND NOT EXISTS (
                    SELECT 1 FROM message_outbox o
                    WHERE o.app_id = h.app_id AND o.id < h.message_id)
             ), claimed AS (
                UPDATE deliveries d SET waiting = false, queued = true, next_attempt_at = {lease},
                    updated_at = now()
                FROM next WHERE d.id = next.id AND d.waiting
                RETURNING d.id, d.message_id, d.endpoint_id, d.attempt_count, d.explicit_retry,
                    d.lane, d.traceparent
             )
             {DUE_SELECT}"
    )
}

/// Of `lanes`, those with no delivery in flight (pending and not waiting): the ones a
/// promotion could move on. A caller that has just committed deliveries into a lane and finds
/// its head in flight can leave the lane alone: that head settles after this read, so its
/// settler's promotion sees the new deliveries. This read takes no lock, so the fan-out skips
/// the lane's lock and promotion transaction for every message that queues behind a busy head.
pub async fn idle(client: &Client, lanes: &[Lane]) -> Result<Vec<Lane>, DbError> {
    if lanes.is_empty() {
        return Ok(Vec::new());
    }
    let endpoints: Vec<Uuid> = lanes.iter().map(|l| l.endpoint_id).collect();
    let keys: Vec<&str> = lanes.iter().map(|l| l.lane.as_str()).collect();
    let statement = client
        .prepare_cached(
            "SELECT DISTINCT l.endpoint_id, l.lane
             FROM unnest($1::uuid[], $2::text[]) AS l(endpoint_id, lane)
             WHERE NOT EXISTS (
                SELECT 1 FROM deliveries d
                WHERE d.endpoint_id = l.endpoint_id AND d.lane = l.lane
                  AND d.status = 'pending' AND d.lane IS NOT NULL AND NOT d.waiting)",
        )
        .await?;
    let rows = client.query(&statement, &[&endpoints, &keys]).await?;
    Ok(rows.iter().filter_map(Lane::from_row).collect())
}

/// Every lane with a pending delivery, as a CTE `l` (endpoint_id, lane): a loose index scan
/// of `deliveries_lane`, one probe per lane, so a sweep costs the number of lanes rather than
/// the number of deliveries waiting in them (thousands behind a busy head).
const LANES_CTE: &str = "WITH RECURSIVE l AS (
        (SELECT d.endpoint_id, d.lane FROM deliveries d
         WHERE d.status = 'pending' AND d.lane IS NOT NULL ORDER BY d.endpoint_id, d.lane LIMIT 1)
        UNION ALL
        SELECT n.endpoint_id, n.lane FROM l CROSS JOIN LATERAL (
            SELECT d.endpoint_id, d.lane FROM deliveries d
            WHERE d.status = 'pending' AND d.lane IS NOT NULL
              AND (d.endpoint_id, d.lane) > (l.endpoint_id, l.lane)
            ORDER BY d.endpoint_id, d.lane LIMIT 1) n
     )";

/// The sweep's part: releases the waiting deliveries of endpoints that are no longer fifo (they
/// become unordered and due now), and returns up to `limit` lanes with a waiting delivery and
/// none in flight (a promotion lost to a crash, or held back by a message routed late).
pub async fn stalled(client: &impl GenericClient, limit: i64) -> Result<Vec<Lane>, DbError> {
    // Each lane once, with whether its endpoint is still fifo and whether a delivery of it is
    // in flight (a lane with pending deliveries and none in flight has one waiting).
    let rows = client
        .query(
            &format!(
                "{LANES_CTE}
                 SELECT l.endpoint_id, l.lane, n.ordering = 'fifo' AS fifo, EXISTS (
                    SELECT 1 FROM deliveries a
                    WHERE a.endpoint_id = l.endpoint_id AND a.lane = l.lane
                      AND a.status = 'pending' AND a.lane IS NOT NULL AND NOT a.waiting) AS busy
                 FROM l JOIN endpoints n ON n.id = l.endpoint_id"
            ),
            &[],
        )
        .await?;
    let mut released: Vec<Uuid> = rows
        .iter()
        .filter(|r| !r.get::<_, bool>("fifo"))
        .map(|r| r.get("endpoint_id"))
        .collect();
    released.dedup();
    if !released.is_empty() {
        client
            .execute(
                "UPDATE deliveries SET waiting = false, lane = NULL, next_attempt_at = now(),
                    updated_at = now()
                 WHERE endpoint_id = ANY($1) AND status = 'pending' AND lane IS NOT NULL",
                &[&released],
            )
            .await?;
    }
    Ok(rows
        .iter()
        .filter(|r| r.get::<_, bool>("fifo") && !r.get::<_, bool>("busy"))
        .filter_map(Lane::from_row)
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}

/// What waits in one lane of an endpoint, for the API and the console.
#[derive(Debug, Clone)]
pub struct LaneState {
    /// `""` for the shared lane, else the key's value as JSON text.
    pub lane: String,
    /// Deliveries behind the head.
    pub waiting: i64,
    pub head_delivery_id: Uuid,
    pub head_message_id: Uuid,
    /// Whether the head is itself still waiting (its promotion is due at the next sweep, or
    /// an older message of the app is not routed yet).
    pub head_waiting: bool,
    pub head_attempt_count: i32,
    pub head_next_attempt_at: Option<DateTime<Utc>>,
}

/// The endpoint's unsettled lanes, longest queue first, at most `limit`.
pub async fn lane_states(
    client: &impl GenericClient,
    endpoint_id: Uuid,
    limit: i64,
) -> Result<Vec<LaneState>, DbError> {
    let rows = client
        .query(
            "SELECT l.lane, l.pending, h.id, h.message_id, h.waiting, h.attempt_count,
                h.next_attempt_at
             FROM (
                SELECT lane, count(*) AS pending FROM deliveries
                WHERE endpoint_id = $1 AND status = 'pending' AND lane IS NOT NULL
                GROUP BY lane ORDER BY pending DESC, lane LIMIT $2
             ) l CROSS JOIN LATERAL (
                SELECT d.id, d.message_id, d.waiting, d.attempt_count, d.next_attempt_at
                FROM deliveries d
                WHERE d.endpoint_id = $1 AND d.lane = l.lane AND d.status = 'pending'
                ORDER BY d.waiting, d.message_id LIMIT 1
             ) h
             ORDER BY l.pending DESC, l.lane",
            &[&endpoint_id, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| LaneState {
            lane: r.get(0),
            waiting: r.get::<_, i64>(1) - 1,
            head_delivery_id: r.get(2),
            head_message_id: r.get(3),
            head_waiting: r.get(4),
            head_attempt_count: r.get(5),
            head_next_attempt_at: r.get(6),
        })
        .collect())
}
