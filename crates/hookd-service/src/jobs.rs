//! Publishing the jobs of claimed deliveries, and moving fifo lanes on: shared by the retry
//! scheduler and delivery workers (delivery) and the fan-out and lane sweep (router).

use crate::JobBudget;
use hookd_bus::envelopes::DeliveryJob;
use hookd_bus::{BusError, Publisher, Route};
use hookd_db::deliveries::Due;
use hookd_db::lanes::Lane;
use hookd_db::{DbError, Pool};
use prost::Message as _;
use std::time::Duration;
use tracing::Instrument;

/// The job of a claimed (leased) delivery, built in a step of the delivery's own trace
/// (`delivery.schedule`), so a retry's (or a promoted fifo job's) spans join the trace of the
/// message it comes from; with that span, for the step that sends or runs it. Not encoded:
/// a publisher encodes it, a worker running a promoted fifo job in-process uses it as is.
pub fn job_of(d: &Due) -> (DeliveryJob, tracing::Span) {
    let payload = hookd_bus::webhook_body(&d.message);
    let message = hookd_bus::JobMessage {
        id: d.message.id,
        payload: &payload,
        accepted_at_micros: d.message.created_at.timestamp_micros(),
        task_id: d.task_id,
    };
    let t = hookd_bus::JobTry {
        delivery_id: d.delivery_id,
        attempt: d.attempt as u32,
        explicit: d.explicit,
        ordered: d.lane.is_some(),
    };
    let span = tracing::info_span!("delivery.schedule", delivery_id = %d.delivery_id,
        message_id = %d.message.id, attempt = d.attempt);
    let span = hookd_bus::continue_trace(span, d.traceparent.as_deref());
    let job = span.in_scope(|| hookd_bus::delivery_job(t, &message, &d.endpoint));
    (job, span)
}

/// Publishes a job for each claimed (leased) delivery, confirms awaited together (within
/// `budget`, in slices, when one is given). Returns how many the broker confirmed; a lost one
/// is resent when its lease runs out.
pub async fn publish_due(publisher: &Publisher, budget: Option<&JobBudget>, due: &[Due]) -> usize {
    let mut published = 0;
    publish_jobs(
        publisher,
        budget,
        due,
        |d| JobBudget::job_cost(hookd_bus::webhook_body_len(&d.message) + d.endpoint.url.len()),
        |d| {
            let (job, span) = job_of(d);
            Some((job.encode_to_vec(), span))
        },
        |result| match result {
            Ok(()) => published += 1,
            Err(e) => tracing::warn!(error = %e, "job publish failed; its lease resends it"),
        },
    )
    .await;
    published
}

/// Publishes the delivery job `build` makes of each of `items`, each under its span, and hands
/// each outcome to `done`. With a budget, in slices (`JobBudget::next_slice`, charged
/// `cost`): each slice's bytes are reserved before its jobs are built and held until their
/// confirms, and the next slice waits for them, so a caller holds at most one slice. Without
/// one, all at once (for a caller whose items are a bounded batch already). Returns how many
/// slices it took.
pub async fn publish_jobs<'a, T, J: AsRef<[u8]>>(
    publisher: &Publisher,
    budget: Option<&JobBudget>,
    items: &'a [T],
    cost: impl Fn(&T) -> usize,
    build: impl Fn(&'a T) -> Option<(J, tracing::Span)>,
    mut done: impl FnMut(Result<(), BusError>),
) -> usize {
    let (mut rest, mut slices) = (items, 0);
    while !rest.is_empty() {
        let (len, held) = match budget {
            Some(budget) => {
                let (len, bytes) = budget.next_slice(rest.iter().map(&cost));
                (len, Some(budget.reserve(bytes).await))
            }
            None => (rest.len(), None),
        };
        let (slice, tail) = rest.split_at(len);
        let publishes = slice.iter().filter_map(&build).map(|(job, span)| {
            async move { publisher.publish(Route::Deliveries, job.as_ref()).await }.instrument(span)
        });
        for result in futures_util::future::join_all(publishes).await {
            done(result);
        }
        drop(held);
        rest = tail;
        slices += 1;
    }
    slices
}

/// Moves on those of `lanes` that have no delivery in flight, for a caller that has just
/// committed deliveries into them (the fan-out): behind a busy head, the head's settler
/// promotes, so most messages of a busy lane cost one indexed read here instead of a lock and
/// a promotion transaction that would queue behind the settler's. See `lanes::idle`.
pub async fn advance_idle_lanes(
    pool: &Pool,
    publisher: &Publisher,
    budget: Option<&JobBudget>,
    lanes: Vec<Lane>,
    lease: Duration,
) -> Result<usize, DbError> {
    let idle = {
        let client = pool.get().await?;
        hookd_db::lanes::idle(&client, &lanes).await?
    };
    advance_lanes(pool, publisher, budget, idle, lease).await
}

/// How many heads of disabled endpoints one call fails before leaving the rest to the sweep.
const MAX_ROUNDS: usize = 64;

/// Moves fifo lanes on: promotes the next delivery of each lane whose head has settled and
/// publishes its job. Returns how many jobs it published.
pub async fn advance_lanes(
    pool: &Pool,
    publisher: &Publisher,
    budget: Option<&JobBudget>,
    lanes: Vec<Lane>,
    lease: Duration,
) -> Result<usize, DbError> {
    let due = promote_lanes(pool, lanes, lease).await?;
    Ok(publish_due(publisher, budget, &due).await)
}

/// Promotes the next delivery of each lane whose head has settled and returns them, leased,
/// for the caller to publish or run (see `past_disabled`).
pub async fn promote_lanes(
    pool: &Pool,
    mut lanes: Vec<Lane>,
    lease: Duration,
) -> Result<Vec<Due>, DbError> {
    lanes.sort();
    lanes.dedup();
    let span = tracing::info_span!(
        "lanes.advance",
        lanes = lanes.len(),
        promoted = tracing::field::Empty
    );
    async move {
        let due = if lanes.is_empty() {
            Vec::new()
        } else {
            let client = pool.get().await?;
            hookd_db::lanes::promote(&client, &lanes, lease_until(lease)).await?
        };
        let promoted = past_disabled(pool, due, lease).await?;
        tracing::Span::current().record("promoted", promoted.len());
        Ok(promoted)
    }
    .instrument(span)
    .await
}

/// Of promoted deliveries, those to send: the head of a disabled endpoint fails at once (as
/// the scheduler fails any job of one) and its lane is promoted again.
pub async fn past_disabled(
    pool: &Pool,
    mut due: Vec<Due>,
    lease: Duration,
) -> Result<Vec<Due>, DbError> {
    let mut promoted = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let (enabled, disabled): (Vec<Due>, Vec<Due>) =
            due.into_iter().partition(|d| d.endpoint.enabled);
        promoted.extend(enabled);
        if disabled.is_empty() {
            return Ok(promoted);
        }
        let ids: Vec<_> = disabled.iter().map(|d| d.delivery_id).collect();
        let client = pool.get().await?;
        let lanes = hookd_db::deliveries::fail(&client, &ids).await?;
        due = hookd_db::lanes::promote(&client, &lanes, lease_until(lease)).await?;
    }
    Ok(promoted)
}

/// The lease of a job promoted or claimed now.
pub fn lease_until(lease: Duration) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default()
}
