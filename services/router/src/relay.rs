use crate::metrics::RouterMetrics;
use hookd_bus::{Publisher, Route};
use hookd_db::{DbError, Pool};
use prost::Message as _;
use std::time::Duration;
use tracing::Instrument;

/// The outbox relay: publishes stored messages that were never routed (ingest crashed between
/// its commit and its publish, or the broker was down). It runs only while the router's queue
/// is empty, so a backlog is not mistaken for loss and doubled. Returns how many it published.
pub async fn relay_once(
    pool: &Pool,
    publisher: &Publisher,
    relay_after: Duration,
    metrics: &RouterMetrics,
) -> Result<usize, DbError> {
    match publisher.queue_depth(Route::Messages).await {
        Ok(0) => metrics.queue_depth.set(0),
        Ok(depth) => {
            metrics.queue_depth.set(depth as i64);
            return Ok(0);
        }
        Err(_) => return Ok(0),
    }
    let before = chrono::Utc::now() - chrono::Duration::from_std(relay_after).unwrap_or_default();
    let client = pool.get().await?;
    let unrouted = hookd_db::messages::unrouted(&client, before, 500).await?;
    drop(client);
    let mut published = 0;
    for u in &unrouted {
        // A step of the message's own trace (stored at ingest), so its routing and delivery
        // join the trace its send started.
        let span = tracing::info_span!("router.relay", message_id = %u.message.id);
        let span = hookd_bus::continue_trace(span, u.traceparent.as_deref());
        let envelope = span.in_scope(|| {
            hookd_bus::message_accepted(&u.message, u.app_id, u.endpoint_id, u.task_id)
                .encode_to_vec()
        });
        if publisher
            .publish(Route::Messages, &envelope)
            .instrument(span)
            .await
            .is_ok()
        {
            published += 1;
        }
    }
    if published > 0 {
        metrics.messages_relayed.inc_by(published as u64);
        tracing::info!(published, "relayed unrouted messages");
    }
    Ok(published)
}
