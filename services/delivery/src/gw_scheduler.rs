//! The scheduler's gateway half: claims due gateway events (delay over, retry due, lease run
//! out, marked due by a manual, bulk or unpause retry) and publishes their jobs through the
//! one gateway job builder.

use hookd_bus::{Publisher, Route};
use hookd_db::gateway::dispatch;
use hookd_db::{DbError, Pool};
use hookd_signing::SecretCipher;
use prost::Message;
use std::time::Duration;

const BATCH: i64 = 500;

/// Publishes a job for every due gateway event; returns how many it claimed.
pub async fn schedule_due(
    pool: &Pool,
    publisher: &Publisher,
    cipher: &SecretCipher,
    lease: Duration,
) -> Result<usize, DbError> {
    let lease_until = chrono::Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
    let client = pool.get().await?;
    let due = dispatch::claim_due(&client, BATCH, lease_until).await?;
    drop(client);
    let jobs: Vec<Vec<u8>> = due
        .iter()
        .map(|e| {
            // Built in a step of the inbound request's trace, so the retry's spans join it.
            let span = tracing::info_span!("gateway.schedule", event_id = %e.id,
                attempt = e.attempts + 1, trigger = %e.trigger);
            let span = hookd_bus::continue_trace(span, e.request.traceparent.as_deref());
            let _in_trace = span.enter();
            hookd_service::gateway_job_of(e, e.destination.target(), cipher).encode_to_vec()
        })
        .collect();
    let publishes = jobs
        .iter()
        .map(|job| publisher.publish(Route::Deliveries, job));
    for result in futures_util::future::join_all(publishes).await {
        if let Err(e) = result {
            tracing::warn!(error = %e, "gateway job publish failed; its lease resends it");
        }
    }
    if !due.is_empty() {
        tracing::debug!(claimed = due.len(), "gateway events scheduled");
    }
    Ok(due.len())
}
