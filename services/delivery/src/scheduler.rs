use crate::metrics::DeliveryMetrics;
use hookd_bus::Publisher;
use hookd_db::{DbError, Pool};
use std::time::Duration;

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
    // A disabled endpoint gets no more tries; a fifo lane it headed moves on.
    let settled_lanes = if disabled.is_empty() {
        Vec::new()
    } else {
        hookd_db::deliveries::fail(&client, &disabled).await?
    };
    drop(client);
    let enabled: Vec<_> = due.iter().filter(|d| d.endpoint.enabled).cloned().collect();
    let published = hookd_service::publish_due(publisher, None, &enabled).await;
    metrics.jobs_scheduled.inc_by(published as u64);
    if !settled_lanes.is_empty() {
        hookd_service::advance_lanes(pool, publisher, None, settled_lanes, lease).await?;
    }
    Ok(due.len())
}
