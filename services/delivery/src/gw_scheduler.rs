//! The scheduler's gateway half: claims due gateway events (delay over, retry due, lease run
//! out, marked due by a manual, bulk or unpause retry) and publishes their jobs through the
//! one gateway job builder.

use hookd_bus::{Publisher, Route};
use hookd_db::gateway::dispatch;
use hookd_db::{DbError, Pool};
use hookd_signing::SecretCipher;
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
            let r = &e.request;
            let strip = hookd_bus::sealed_credential_headers(
                cipher,
                r.verification_type.as_deref(),
                r.verification_configs.as_deref(),
            );
            let d = &e.destination;
            // Built in a step of the inbound request's trace, so the retry's spans join it.
            let span = tracing::info_span!("gateway.schedule", event_id = %e.id,
                attempt = e.attempts + 1, trigger = %e.trigger);
            let span = hookd_bus::continue_trace(span, r.traceparent.as_deref());
            let _in_trace = span.enter();
            hookd_bus::gateway_job(
                &hookd_bus::GatewayTry {
                    event_id: e.id,
                    request_id: r.id,
                    organization_id: r.organization_id,
                    attempt: (e.attempts + 1).max(1) as u32,
                    trigger: &e.trigger,
                    signing_revision: e.signing_revision,
                    accepted_at_micros: r.created_at.timestamp_micros(),
                },
                &hookd_bus::GatewayRequest {
                    method: &r.method,
                    data: &r.data,
                    body: &r.body,
                    source_name: &r.source_name,
                    verified: r.verified,
                    credential_headers: &strip,
                },
                &hookd_bus::GatewayDestination {
                    id: d.id,
                    url: d.target(),
                    http_method: d.http_method.as_deref(),
                    path_forwarding_disabled: d.path_forwarding_disabled,
                    rate_limit: d.rate_limit,
                    rate_limit_period: d.rate_limit_period.as_deref(),
                    revision: d.revision,
                },
            )
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
