//! Recording what became of a try: the attempt row and the delivery's next state, for a whole
//! batch in one statement. Its arguments are built apart from running it, so the fifo settle
//! (`lanes::settle_and_promote`) can send it in one pipeline with its lanes' promotion.

use crate::lanes::Lane;
use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use hookd_domain::{new_id, DeliveryStatus};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

/// What became of one try.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub delivery_id: Uuid,
    pub message_id: Uuid,
    pub endpoint_id: Uuid,
    pub attempt: i32,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i32,
    /// Where the delivery goes next: `Pending` with `next_attempt_at`, or a final status.
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery that reached a final status, with its lane when it heads one (fifo endpoint):
/// the next delivery of that lane can go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    pub delivery_id: Uuid,
    pub lane: Option<Lane>,
}

/// Records attempts and moves their deliveries on, in one statement for the whole batch. A
/// duplicate job (a redelivered envelope, an expired lease) records its attempt but does not
/// move a delivery backwards. Returns the deliveries that reached a final status.
///
/// Its plan is kept (`kept_plan`): every read is by a unique index, driven by the batch's rows.
pub async fn record_attempts(
    client: &Client,
    records: &[AttemptRecord],
) -> Result<Vec<Settled>, DbError> {
    let statement = client.prepare_cached(RECORD).await?;
    let columns = Columns::of(records);
    let rows = crate::kept_plan::query(client, &statement, &columns.params()).await?;
    Ok(settled_of(&rows))
}

/// `RECORD`'s rows: the deliveries it settled.
pub(crate) fn settled_of(rows: &[Row]) -> Vec<Settled> {
    rows.iter()
        .filter(|r| r.get::<_, &str>(1) != "pending")
        .map(|r| Settled {
            delivery_id: r.get(0),
            lane: Lane::from_row(r),
        })
        .collect()
}

pub(crate) const RECORD: &str = "WITH r AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[],
            $6::int[], $7::text[], $8::text[], $9::int[], $10::text[], $11::timestamptz[])
        AS r(id, delivery_id, message_id, endpoint_id, attempt, response_status,
            response_body, error, duration_ms, status, next_attempt_at)
     ), ins AS (
        INSERT INTO attempts (id, delivery_id, message_id, endpoint_id, attempt,
            response_status, response_body, error, duration_ms)
        SELECT id, delivery_id, message_id, endpoint_id, attempt, response_status,
            response_body, error, duration_ms FROM r
        -- A delivery deleted meanwhile (its endpoint or app was deleted) has nothing to
        -- record; skipping it keeps one row from failing the whole batch.
        WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = r.delivery_id)
     ), healed AS (
        -- A success ends its endpoint's run of failures and closes the circuit noted
        -- open, whichever replica opened it: the `endpoint.recovered` transition of
        -- the row (migration 0014's trigger tells it once). Locked in id order, so
        -- two batches healing the same endpoints cannot deadlock.
        UPDATE endpoints n SET failing_since = NULL, circuit_opened_at = NULL
        WHERE n.id IN (
            SELECT e.id FROM endpoints e
            WHERE e.id IN (SELECT endpoint_id FROM r WHERE status = 'succeeded')
              AND (e.failing_since IS NOT NULL OR e.circuit_opened_at IS NOT NULL)
            ORDER BY e.id FOR UPDATE)
     )
     UPDATE deliveries d SET status = r.status, attempt_count = r.attempt,
        next_attempt_at = r.next_attempt_at, queued = false, explicit_retry = false,
        updated_at = now()
     FROM r
     -- `IS TRUE`: the status is checked on the row read by id, never matched to a partial
     -- index of pending deliveries, which a plan kept from an empty table read whole.
     WHERE d.id = r.delivery_id AND (d.status = 'pending') IS TRUE
        AND d.attempt_count < r.attempt
     RETURNING d.id, d.status, d.endpoint_id, d.lane";

/// `RECORD`'s arguments, column by column.
pub(crate) struct Columns<'a> {
    ids: Vec<Uuid>,
    deliveries: Vec<Uuid>,
    messages: Vec<Uuid>,
    endpoints: Vec<Uuid>,
    attempts: Vec<i32>,
    statuses: Vec<Option<i32>>,
    bodies: Vec<Option<&'a str>>,
    errors: Vec<Option<&'a str>>,
    durations: Vec<i32>,
    outcomes: Vec<&'a str>,
    next: Vec<Option<DateTime<Utc>>>,
}

impl<'a> Columns<'a> {
    pub(crate) fn of(records: &'a [AttemptRecord]) -> Self {
        let col = |f: fn(&AttemptRecord) -> Uuid| records.iter().map(f).collect::<Vec<_>>();
        Columns {
            ids: records.iter().map(|_| new_id()).collect(),
            deliveries: col(|r| r.delivery_id),
            messages: col(|r| r.message_id),
            endpoints: col(|r| r.endpoint_id),
            attempts: records.iter().map(|r| r.attempt).collect(),
            statuses: records.iter().map(|r| r.response_status).collect(),
            bodies: records.iter().map(|r| r.response_body.as_deref()).collect(),
            errors: records.iter().map(|r| r.error.as_deref()).collect(),
            durations: records.iter().map(|r| r.duration_ms).collect(),
            outcomes: records.iter().map(|r| r.status.as_str()).collect(),
            next: records.iter().map(|r| r.next_attempt_at).collect(),
        }
    }

    pub(crate) fn params(&self) -> [&(dyn ToSql + Sync); 11] {
        [
            &self.ids,
            &self.deliveries,
            &self.messages,
            &self.endpoints,
            &self.attempts,
            &self.statuses,
            &self.bodies,
            &self.errors,
            &self.durations,
            &self.outcomes,
            &self.next,
        ]
    }
}
