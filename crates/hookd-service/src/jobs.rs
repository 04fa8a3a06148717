//! Publishing the jobs of claimed deliveries, and moving fifo lanes on: shared by the retry
//! scheduler and delivery workers (delivery) and the fan-out and lane sweep (router).

use hookd_bus::{Publisher, Route};
use hookd_db::deliveries::Due;
use hookd_db::lanes::Lane;
use hookd_db::{DbError, Pool};
use std::time::Duration;
use tracing::Instrument;

/// Publishes a job for each claimed (leased) delivery, confirms awaited together. Returns how
/// many the broker confirmed; a lost one is resent when its lease runs out.
pub async fn publish_due(publisher: &Publisher, due: &[Due]) -> usize {
    let publishes = due.iter().map(|d| {
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
            ordered: d.ordered,
        };
        // Built and published in a step of the delivery's own trace, so a retry's (or a
        // promoted fifo job's) spans join the trace of the message it comes from.
        let span = tracing::info_span!("delivery.schedule", delivery_id = %d.delivery_id,
            message_id = %d.message.id, attempt = d.attempt);
        let span = hookd_bus::continue_trace(span, d.traceparent.as_deref());
        let job = span.in_scope(|| hookd_bus::delivery_job(t, &message, &d.endpoint));
        async move { publisher.publish(Route::Deliveries, &job).await }.instrument(span)
    });
    let mut published = 0;
    for result in futures_util::future::join_all(publishes).await {
        match result {
            Ok(()) => published += 1,
            Err(e) => tracing::warn!(error = %e, "job publish failed; its lease resends it"),
        }
    }
    published
}

/// How many heads of disabled endpoints one call fails before leaving the rest to the sweep.
const MAX_ROUNDS: usize = 64;

/// Moves fifo lanes on: promotes the next delivery of each lane whose head has settled and
/// publishes its job. The head of a disabled endpoint fails at once (as the scheduler fails
/// any job of one) and its lane moves on again. Returns how many jobs it published.
pub async fn advance_lanes(
    pool: &Pool,
    publisher: &Publisher,
    mut lanes: Vec<Lane>,
    lease: Duration,
) -> Result<usize, DbError> {
    lanes.sort();
    lanes.dedup();
    let span = tracing::info_span!(
        "lanes.advance",
        lanes = lanes.len(),
        promoted = tracing::field::Empty
    );
    async move {
        let mut published = 0;
        let mut promoted = 0;
        for _ in 0..MAX_ROUNDS {
            if lanes.is_empty() {
                break;
            }
            let lease_until =
                chrono::Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
            let mut client = pool.get().await?;
            let due = hookd_db::lanes::promote(&mut client, &lanes, lease_until).await?;
            promoted += due.len();
            let (enabled, disabled): (Vec<Due>, Vec<Due>) =
                due.into_iter().partition(|d| d.endpoint.enabled);
            lanes = if disabled.is_empty() {
                Vec::new()
            } else {
                let ids: Vec<_> = disabled.iter().map(|d| d.delivery_id).collect();
                hookd_db::deliveries::fail(&client, &ids).await?
            };
            drop(client);
            published += publish_due(publisher, &enabled).await;
        }
        tracing::Span::current().record("promoted", promoted);
        Ok(published)
    }
    .instrument(span)
    .await
}
