//! Recording gateway tries: each try's attempt row and its event's next state, for a whole
//! batch in one transaction of two round trips, with kept plans (`kept_plan`). The first reads
//! and locks the events (the next try is decided from what it reads); the second writes and
//! commits.

use super::dispatch::{EventState, Recorded, TryRecord};
use crate::kept_plan::KEPT_PLAN;
use crate::DbError;
use chrono::{DateTime, Utc};
use futures_util::future::{join, join3};
use std::collections::{HashMap, HashSet};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// Records tries and updates their events in one transaction, three statements for the
/// batch. `next` decides, for a failed try, when the next automatic try is due (`None`: no
/// more). One answer per try, in order; `None` when its event is gone. Tries of one event in
/// the same batch are recorded one after the other, so each counts the one before.
pub async fn record_tries(
    client: &crate::Client,
    tries: &[TryRecord],
    next: impl Fn(&TryRecord, &EventState) -> Option<DateTime<Utc>>,
) -> Result<Vec<Option<Recorded>>, DbError> {
    let mut seen = HashSet::new();
    if tries.iter().all(|t| seen.insert(t.event_id)) {
        return record_distinct(client, tries, &next).await;
    }
    let mut answers = Vec::with_capacity(tries.len());
    for t in tries {
        answers.extend(record_distinct(client, std::slice::from_ref(t), &next).await?);
    }
    Ok(answers)
}

/// `record_tries` of tries of distinct events. Each request is sent when its future is first
/// polled, and the joins poll them in order, so BEGIN and the lock go in one round trip, and
/// the writes and COMMIT in another. A failed write aborts the transaction and COMMIT rolls it
/// back; a failed lock is rolled back here, so the connection goes back to the pool idle.
async fn record_distinct(
    client: &crate::Client,
    tries: &[TryRecord],
    next: &impl Fn(&TryRecord, &EventState) -> Option<DateTime<Utc>>,
) -> Result<Vec<Option<Recorded>>, DbError> {
    let c: &tokio_postgres::Client = client;
    let lock = client.prepare_cached(LOCK_EVENTS).await?;
    let insert = client.prepare_cached(INSERT_ATTEMPTS).await?;
    let update = client.prepare_cached(UPDATE_EVENTS).await?;
    let ids: Vec<Uuid> = tries.iter().map(|t| t.event_id).collect();
    let (begin, rows) = join(c.batch_execute(KEPT_PLAN), c.query(&lock, &[&ids])).await;
    let rows = match begin.and(rows) {
        Ok(rows) => rows,
        Err(e) => {
            // The transaction may be open (BEGIN went through); the error is the answer.
            super::route_record::rollback(client).await;
            return Err(e.into());
        }
    };
    let found: HashMap<Uuid, &tokio_postgres::Row> =
        rows.iter().map(|r| (r.get("id"), r)).collect();
    let mut a = AttemptRows::default();
    let mut answers = Vec::with_capacity(tries.len());
    for t in tries {
        let Some(row) = found.get(&t.event_id) else {
            answers.push(None);
            continue;
        };
        let automatic = i32::from(t.trigger == "AUTOMATIC");
        let state = EventState {
            automatic_tries: row.get::<_, i32>("automatic_tries") + automatic,
            muted: row.get("muted"),
            rules: row.get("rules"),
        };
        let recorded = Recorded {
            attempt_number: row.get::<_, i32>("attempts") + 1,
            attempt_id: hookd_domain::new_id(),
            retry_at: if t.succeeded { None } else { next(t, &state) },
        };
        a.push(t, row, &state, &recorded);
        answers.push(Some(recorded));
    }
    let (inserted, updated, commit) = join3(
        c.execute(&insert, &a.attempt_params()),
        c.execute(&update, &a.event_params()),
        c.batch_execute("COMMIT"),
    )
    .await;
    inserted?;
    updated?;
    commit?;
    Ok(answers)
}

/// The events of a batch, locked in id order (so concurrent batches cannot deadlock), with
/// what deciding their next try needs.
pub(crate) const LOCK_EVENTS: &str =
    "SELECT e.id, e.organization_id, e.attempts, e.automatic_tries,
        e.muted_at IS NOT NULL AS muted, e.next_bulk_retry_id, c.rules
     FROM gw_events e JOIN gw_connections c ON c.id = e.connection_id
     WHERE e.id = ANY($1) ORDER BY e.id FOR UPDATE OF e";

pub(crate) const INSERT_ATTEMPTS: &str =
    "INSERT INTO gw_attempts (id, organization_id, event_id, destination_id,
        attempt_number, trigger, status, response_status, error_code, body,
        requested_url, http_method, bulk_retry_id, duration_ms)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[],
        $6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::text[],
        $12::text[], $13::uuid[], $14::int[])";

pub(crate) const UPDATE_EVENTS: &str =
    "UPDATE gw_events e SET attempts = u.attempts, automatic_tries = u.automatic_tries,
        last_attempt_at = now(), response_status = u.response_status,
        error_code = u.error_code,
        status = CASE WHEN u.succeeded THEN 'SUCCESSFUL' ELSE 'FAILED' END,
        successful_at = CASE WHEN u.succeeded THEN now() ELSE e.successful_at END,
        next_attempt_at = u.retry_at, queued = false, next_trigger = 'AUTOMATIC',
        next_bulk_retry_id = NULL, updated_at = now()
     FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[], $5::text[], $6::bool[],
        $7::timestamptz[])
        AS u(id, attempts, automatic_tries, response_status, error_code, succeeded,
            retry_at)
     WHERE e.id = u.id";

/// The columns of a batch of attempts and of their events' updates.
#[derive(Default)]
struct AttemptRows<'a> {
    id: Vec<Uuid>,
    organization_id: Vec<Uuid>,
    event_id: Vec<Uuid>,
    destination_id: Vec<Uuid>,
    attempt_number: Vec<i32>,
    trigger: Vec<&'a str>,
    status: Vec<&'static str>,
    response_status: Vec<Option<i32>>,
    error_code: Vec<Option<&'a str>>,
    body: Vec<Option<&'a str>>,
    requested_url: Vec<&'a str>,
    http_method: Vec<&'a str>,
    bulk_retry_id: Vec<Option<Uuid>>,
    duration_ms: Vec<i32>,
    automatic_tries: Vec<i32>,
    succeeded: Vec<bool>,
    retry_at: Vec<Option<DateTime<Utc>>>,
}

impl<'a> AttemptRows<'a> {
    fn push(
        &mut self,
        t: &'a TryRecord,
        event: &tokio_postgres::Row,
        state: &EventState,
        recorded: &Recorded,
    ) {
        self.id.push(recorded.attempt_id);
        self.organization_id.push(event.get("organization_id"));
        self.event_id.push(t.event_id);
        self.destination_id.push(t.destination_id);
        self.attempt_number.push(recorded.attempt_number);
        self.trigger.push(&t.trigger);
        self.status
            .push(if t.succeeded { "SUCCESSFUL" } else { "FAILED" });
        self.response_status.push(t.response_status);
        self.error_code.push(t.error_code.as_deref());
        self.body.push(t.body.as_deref());
        self.requested_url.push(&t.requested_url);
        self.http_method.push(&t.http_method);
        self.bulk_retry_id.push(event.get("next_bulk_retry_id"));
        self.duration_ms.push(t.duration_ms);
        self.automatic_tries.push(state.automatic_tries);
        self.succeeded.push(t.succeeded);
        self.retry_at.push(recorded.retry_at);
    }

    /// `INSERT_ATTEMPTS`'s arguments.
    fn attempt_params(&self) -> [&(dyn ToSql + Sync); 14] {
        [
            &self.id,
            &self.organization_id,
            &self.event_id,
            &self.destination_id,
            &self.attempt_number,
            &self.trigger,
            &self.status,
            &self.response_status,
            &self.error_code,
            &self.body,
            &self.requested_url,
            &self.http_method,
            &self.bulk_retry_id,
            &self.duration_ms,
        ]
    }

    /// `UPDATE_EVENTS`'s arguments.
    fn event_params(&self) -> [&(dyn ToSql + Sync); 7] {
        [
            &self.event_id,
            &self.attempt_number,
            &self.automatic_tries,
            &self.response_status,
            &self.error_code,
            &self.succeeded,
            &self.retry_at,
        ]
    }
}
