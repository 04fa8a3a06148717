//! The retention pass (issue 17): expunges the payloads of messages past their organization's
//! payload retention, and deletes messages past the metadata retention, one small batch per app
//! and statement; likewise the gateway's inbound requests, per organization; and it sweeps what
//! was stored as its app or endpoint was deleted (`hookd_db::tombstones`). It runs in the router beside the relay and the task scheduler; several
//! routers may run it at once (an expunge is idempotent, deletions skip locked rows).

use hookd_config::RetentionSettings;
use hookd_db::gateway::retention as gw;
use hookd_db::retention::{self, AppRetention};
use hookd_db::{DbError, Pool};
use hookd_telemetry::prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// The pass's counters, registered with the router's.
#[derive(Clone)]
pub struct RetentionMetrics {
    pub payloads_expunged: IntCounter,
    pub attempt_bodies_expunged: IntCounter,
    pub deliveries_ended: IntCounter,
    /// Gateway requests whose body and headers were expunged.
    pub gw_requests_expunged: IntCounter,
    /// Gateway attempt response bodies expunged with their request's.
    pub gw_attempt_bodies_expunged: IntCounter,
    /// Rows deleted by the metadata retention, by table.
    pub rows_deleted: IntCounterVec,
}

impl RetentionMetrics {
    pub fn register(registry: &Registry) -> Self {
        let counter = |name: &str, help: &str| {
            let c = IntCounter::with_opts(Opts::new(name, help)).expect("metric");
            registry.register(Box::new(c.clone())).expect("register");
            c
        };
        let rows_deleted = IntCounterVec::new(
            Opts::new(
                "hookd_retention_rows_deleted_total",
                "Rows deleted past the metadata retention, by table.",
            ),
            &["table"],
        )
        .expect("metric");
        registry
            .register(Box::new(rows_deleted.clone()))
            .expect("register");
        Self {
            payloads_expunged: counter(
                "hookd_retention_payloads_expunged_total",
                "Message payloads expunged past the payload retention.",
            ),
            attempt_bodies_expunged: counter(
                "hookd_retention_attempt_bodies_expunged_total",
                "Attempt response bodies expunged with their message's payload.",
            ),
            deliveries_ended: counter(
                "hookd_retention_deliveries_ended_total",
                "Pending deliveries (and gateway events) ended because their payload was expunged.",
            ),
            gw_requests_expunged: counter(
                "hookd_retention_gw_requests_expunged_total",
                "Gateway requests whose body and headers were expunged past the payload retention.",
            ),
            gw_attempt_bodies_expunged: counter(
                "hookd_retention_gw_attempt_bodies_expunged_total",
                "Gateway attempt response bodies expunged with their request's body.",
            ),
            rows_deleted,
        }
    }
}

/// Runs the pass every `settings.interval` until `shutdown`; while a batch was full, again
/// after a rest as long as the pass took.
pub async fn run(
    pool: Pool,
    settings: RetentionSettings,
    metrics: RetentionMetrics,
    shutdown: CancellationToken,
) {
    hookd_service::periodic("retention", settings.interval, shutdown, || async {
        let started = std::time::Instant::now();
        let more = pass(&pool, &settings, &metrics)
            .instrument(tracing::info_span!("retention_pass"))
            .await?;
        if more {
            // Working through a backlog, the pass rests as long as it worked: at most half of
            // PostgreSQL's time for it, so live traffic keeps its latency (S2R in BENCHMARKS.md).
            tokio::time::sleep(started.elapsed()).await;
        }
        Ok::<_, DbError>(more)
    })
    .await;
}

/// How long after an app's or endpoint's deletion its late children are swept: far longer
/// than an insert that read the parent can take (migration 0025).
const TOMBSTONE_GRACE: std::time::Duration = std::time::Duration::from_secs(300);

/// The late children of deleted apps, endpoints, sources and connections, then one batch for
/// every app with a limited retention; `true` when some batch was full.
pub async fn pass(
    pool: &Pool,
    settings: &RetentionSettings,
    metrics: &RetentionMetrics,
) -> Result<bool, DbError> {
    let default_days = i32::try_from(settings.payload_days).unwrap_or(i32::MAX);
    let metadata_days = i32::try_from(settings.metadata_days).unwrap_or(i32::MAX);
    let limit = i64::from(settings.batch_size);
    let mut client = pool.get().await?;
    let swept = hookd_db::tombstones::sweep(&client, TOMBSTONE_GRACE).await?;
    if swept != Default::default() {
        tracing::info!(
            messages = swept.messages,
            deliveries = swept.deliveries,
            gw_requests = swept.gw_requests,
            gw_events = swept.gw_events,
            "deleted what was stored as its app, endpoint, source or connection was deleted"
        );
        for (table, n) in [
            ("messages", swept.messages),
            ("deliveries", swept.deliveries),
            ("gw_requests", swept.gw_requests),
            ("gw_events", swept.gw_events),
        ] {
            metrics.rows_deleted.with_label_values(&[table]).inc_by(n);
        }
    }
    let apps = retention::apps(&client, default_days, metadata_days).await?;
    let mut more = false;
    for app in &apps {
        more |= app_batch(&mut client, app, limit, metrics).await?;
    }
    let orgs = gw::organizations(&client, default_days, metadata_days).await?;
    for org in &orgs {
        more |= gateway_batch(&mut client, org, limit, metrics).await?;
    }
    Ok(more)
}

/// One batch of the organization's gateway requests past their retention.
async fn gateway_batch(
    client: &mut hookd_db::Client,
    org: &gw::OrgRetention,
    limit: i64,
    metrics: &RetentionMetrics,
) -> Result<bool, DbError> {
    let mut more = false;
    let id = org.organization_id;
    if let Some(before) = org.metadata_cutoff {
        let (deleted, full) = gw::delete_batch(client, id, before, limit).await?;
        more |= full;
        for (table, n) in [
            ("gw_requests", deleted.requests),
            ("gw_ignored_events", deleted.ignored_events),
            ("gw_events", deleted.events),
            ("gw_attempts", deleted.attempts),
        ] {
            metrics.rows_deleted.with_label_values(&[table]).inc_by(n);
        }
        if deleted.requests > 0 {
            tracing::info!(organization_id = %id, requests = deleted.requests,
                events = deleted.events, attempts = deleted.attempts,
                "deleted gateway requests past the metadata retention");
        }
    }
    if let Some(cutoff) = org.payload_cutoff {
        let (expunged, full) = gw::expunge_batch(client, id, cutoff, limit).await?;
        more |= full;
        metrics.gw_requests_expunged.inc_by(expunged.requests);
        metrics
            .gw_attempt_bodies_expunged
            .inc_by(expunged.attempt_bodies);
        metrics.deliveries_ended.inc_by(expunged.events_ended);
        if expunged.requests > 0 {
            tracing::info!(organization_id = %id, requests = expunged.requests,
                attempt_bodies = expunged.attempt_bodies, events_ended = expunged.events_ended,
                "expunged gateway requests past the retention");
        }
    }
    Ok(more)
}

async fn app_batch(
    client: &mut hookd_db::Client,
    app: &AppRetention,
    limit: i64,
    metrics: &RetentionMetrics,
) -> Result<bool, DbError> {
    let mut more = false;
    if let Some(before) = app.metadata_cutoff {
        let (deleted, full) =
            retention::delete_messages_before(client, app.app_id, before, limit).await?;
        more |= full;
        for (table, n) in [
            ("messages", deleted.messages),
            ("deliveries", deleted.deliveries),
            ("attempts", deleted.attempts),
        ] {
            metrics.rows_deleted.with_label_values(&[table]).inc_by(n);
        }
        if deleted.messages > 0 {
            tracing::info!(app_id = %app.app_id, messages = deleted.messages,
                deliveries = deleted.deliveries, attempts = deleted.attempts,
                "deleted messages past the metadata retention");
        }
    }
    let (expunged, full) = retention::expunge_batch(client, app, limit).await?;
    more |= full;
    metrics.payloads_expunged.inc_by(expunged.payloads);
    metrics
        .attempt_bodies_expunged
        .inc_by(expunged.attempt_bodies);
    metrics.deliveries_ended.inc_by(expunged.deliveries_ended);
    if expunged.payloads > 0 {
        tracing::info!(app_id = %app.app_id, payloads = expunged.payloads,
            attempt_bodies = expunged.attempt_bodies, "expunged payloads past the retention");
    }
    Ok(more)
}
