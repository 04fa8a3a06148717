use crate::metrics::DeliveryMetrics;
use hookd_bus::{Publisher, Route};
use hookd_db::{DbError, Pool};
use std::time::Duration;
use tracing::Instrument;

const BATCH: i64 = 500;

/// Publishes a job for every delivery that is due (retries, postponed jobs, jobs whose lease ran
/// out), claiming them with `SKIP LOCKED` so several schedulers never claim one twice. Returns
/// how many it claimed.
pub async fn schedule_due(
    pool: &Pool,
    publisher: &Publisher,
    lease: Duration,
    metrics: &DeliveryMetrics,
) -> Result<usize, DbError> {
    let lease_until = chrono::Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
    let client = pool.get().await?;
    let due = hookd_db::deliveries::claim_due(&client, BATCH, lease_until).await?;
    let disabled: Vec<_> = due
        .iter()
        .filter(|d| !d.endpoint.enabled)
        .map(|d| d.delivery_id)
        .collect();
    if !disabled.is_empty() {
        // A disabled endpoint gets no more tries.
        hookd_db::deliveries::fail(&client, &disabled).await?;
    }
    drop(client);
    let publishes = due.iter().filter(|d| d.endpoint.enabled).map(|d| {
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
        };
        // Built and published in a step of the delivery's own trace, so the retry's spans
        // join the trace of the message it comes from.
        let span = tracing::info_span!("delivery.schedule", delivery_id = %d.delivery_id,
            message_id = %d.message.id, attempt = d.attempt);
        let span = hookd_bus::continue_trace(span, d.traceparent.as_deref());
        let job = span.in_scope(|| hookd_bus::delivery_job(t, &message, &d.endpoint));
        async move { publisher.publish(Route::Deliveries, &job).await }.instrument(span)
    });
    for result in futures_util::future::join_all(publishes).await {
        match result {
            Ok(()) => metrics.jobs_scheduled.inc(),
            Err(e) => {
                tracing::warn!(error = %e, "scheduled job publish failed; its lease resends it")
            }
        }
    }
    Ok(due.len())
}
