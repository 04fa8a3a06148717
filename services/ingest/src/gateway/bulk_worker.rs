//! Runs bulk retries: each pass takes the oldest running one (locked, so replicas share the
//! work) and marks its next batch of events due with a BULK_RETRY trigger, moving its cursor in
//! the same transaction: a crash repeats at most an uncommitted batch.

use super::bulk::{filters_until, BATCH};
use super::bulk_query;
use super::metrics::GatewayMetrics;
use hookd_db::gateway::{bulk_retries, events_view};
use hookd_db::{Cursor, DbError, Dir, Page, Pool};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// How often to look for running bulk retries when there is nothing to do.
const IDLE: Duration = Duration::from_millis(500);

pub async fn run(pool: Pool, metrics: GatewayMetrics, shutdown: CancellationToken) {
    hookd_service::periodic("gateway bulk retry", IDLE, shutdown, || {
        pass(&pool, &metrics).instrument(tracing::info_span!("gateway.bulk_retry.pass"))
    })
    .await
}

/// One batch of one bulk retry; `Ok(true)` if one was processed (there may be more).
async fn pass(pool: &Pool, metrics: &GatewayMetrics) -> Result<bool, DbError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let Some(b) = bulk_retries::claim_running(&tx).await? else {
        return Ok(false);
    };
    let query = match bulk_query::parse(&b.query) {
        Ok(q) => q,
        Err(e) => {
            // Checked when created; should it not parse now, it can never run: end it.
            tracing::error!(bulk_retry_id = %b.id, error = %e, "bulk retry query unreadable; ended");
            bulk_retries::advance(&tx, b.id, None, 0, 0, true).await?;
            tx.commit().await?;
            return Ok(true);
        }
    };
    let page = Page {
        limit: BATCH,
        dir: Dir::Asc,
        after: b.cursor,
        before: None,
        order: None,
    };
    let filters = filters_until(query, b.created_at);
    let batch = events_view::list(&tx, b.organization_id, None, &filters, &page).await?;
    let ids: Vec<_> = batch.models.iter().map(|e| e.id).collect();
    let marked = events_view::mark_bulk_due(&tx, &ids, b.id).await? as i32;
    let failed = ids.len() as i32 - marked;
    let cursor = batch.models.last().map(|e| Cursor {
        created_at: e.created_at,
        id: e.id,
    });
    let last = batch.next.is_none();
    bulk_retries::advance(&tx, b.id, cursor, marked, failed, last).await?;
    tx.commit().await?;
    metrics
        .retries_marked
        .with_label_values(&["BULK_RETRY"])
        .inc_by(marked as u64);
    tracing::info!(bulk_retry_id = %b.id, marked, failed, last, "bulk retry batch processed");
    Ok(true)
}
