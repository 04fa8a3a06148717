//! Operational events go out at once. The triggers that store them (migrations 0014, 0023)
//! NOTIFY `hookd_operational` with the message id on commit; this publishes those messages
//! to the router's queue like ingest publishes its own, instead of leaving them to the relay
//! (`router.relay_after`). The relay still publishes any whose NOTIFY was missed (no router
//! listening, a dropped connection), so each is told once whatever crashes; every router
//! replica publishes each id it hears, and a second fan-out of a message creates nothing.

use crate::metrics::RouterMetrics;
use hookd_bus::{Publisher, Route};
use hookd_db::{DbError, Pool};
use prost::Message as _;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The NOTIFY channel of migration 0023's `operational_emit`.
pub const CHANNEL: &str = "hookd_operational";

/// Listens for stored operational events and publishes each, until shutdown.
pub async fn run(
    url: String,
    pool: Pool,
    publisher: Arc<Publisher>,
    metrics: RouterMetrics,
    shutdown: CancellationToken,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Uuid>();
    let listening = tokio::spawn(hookd_db::listen_with(
        url,
        CHANNEL,
        move |payload| {
            if let Some(id) = payload.and_then(|p| p.parse().ok()) {
                let _ = tx.send(id);
            }
        },
        shutdown.clone(),
    ));
    loop {
        let first = tokio::select! {
            _ = shutdown.cancelled() => break,
            id = rx.recv() => match id { Some(id) => id, None => break },
        };
        // Those told meanwhile go in the same query.
        let mut ids = vec![first];
        while let Ok(id) = rx.try_recv() {
            ids.push(id);
        }
        if let Err(e) = publish(&pool, &publisher, &ids, &metrics).await {
            // The relay publishes them after `router.relay_after`.
            tracing::warn!(error = %e, count = ids.len(), "publishing operational events failed");
        }
    }
    listening.abort();
}

/// Publishes those of `ids` still unrouted; returns how many.
#[tracing::instrument(name = "router.operational_publish", skip_all, fields(count = ids.len()))]
pub async fn publish(
    pool: &Pool,
    publisher: &Publisher,
    ids: &[Uuid],
    metrics: &RouterMetrics,
) -> Result<usize, DbError> {
    let client = pool.get().await?;
    let unrouted = hookd_db::messages::unrouted_among(&client, ids).await?;
    drop(client);
    let mut published = 0;
    for u in &unrouted {
        let envelope = hookd_bus::message_accepted(&u.message, u.app_id, u.endpoint_id, u.task_id)
            .encode_to_vec();
        match publisher.publish(Route::Messages, &envelope).await {
            Ok(_) => published += 1,
            Err(e) => {
                metrics.publish_failures.inc();
                tracing::warn!(error = %e, message_id = %u.message.id, "operational event not published; the relay will");
            }
        }
    }
    tracing::debug!(published, "operational events published");
    Ok(published)
}
