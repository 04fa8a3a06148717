//! The deprovision pass (issue 17): removes the data of organizations marked `deleting` by
//! `DELETE /api/v1/organizations/{id}`, one batch per statement, until the organization's own
//! row is gone. The mark is the only state: after a crash or restart the pass resumes from it.

use hookd_db::deprovision::{self, Progress};
use hookd_db::{DbError, Pool};
use hookd_telemetry::prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

#[derive(Clone)]
pub struct DeprovisionMetrics {
    /// Rows deleted by table (a row's bounded cascade, such as a delivery's attempts, aside).
    pub rows_deleted: IntCounterVec,
    pub organizations_deleted: IntCounter,
}

impl DeprovisionMetrics {
    pub fn register(registry: &Registry) -> Self {
        let rows_deleted = IntCounterVec::new(
            Opts::new(
                "hookd_deprovision_rows_deleted_total",
                "Rows of organizations being deleted removed, by table.",
            ),
            &["table"],
        )
        .expect("metric");
        registry
            .register(Box::new(rows_deleted.clone()))
            .expect("register");
        // Exported from the start, so dashboards and alerts see zeros rather than nothing.
        for table in hookd_db::deprovision::tables() {
            rows_deleted.with_label_values(&[table]);
        }
        let organizations_deleted = IntCounter::with_opts(Opts::new(
            "hookd_deprovision_organizations_deleted_total",
            "Organizations whose data is all removed.",
        ))
        .expect("metric");
        registry
            .register(Box::new(organizations_deleted.clone()))
            .expect("register");
        Self {
            rows_deleted,
            organizations_deleted,
        }
    }
}

/// Runs the pass every `interval` until `shutdown`, at once again while it deletes.
pub async fn run(
    pool: Pool,
    interval: Duration,
    batch_size: u32,
    metrics: DeprovisionMetrics,
    shutdown: CancellationToken,
) {
    // Where each organization's deletion got (a hint only: lost on restart, then the steps
    // before it are found empty once more).
    let places = Places::default();
    let limit = i64::from(batch_size);
    hookd_service::periodic("deprovision", interval, shutdown, || {
        let span = tracing::info_span!("deprovision_pass");
        pass(&pool, &places, limit, &metrics).instrument(span)
    })
    .await;
}

/// The step each organization's deletion got to.
type Places = Mutex<HashMap<Uuid, usize>>;

/// One batch for every organization being deleted; `true` when some batch deleted rows.
async fn pass(
    pool: &Pool,
    places: &Places,
    limit: i64,
    metrics: &DeprovisionMetrics,
) -> Result<bool, DbError> {
    let client = pool.get().await?;
    let orgs = deprovision::pending(&client).await?;
    let place = |org: &Uuid| places.lock().expect("places").get(org).copied();
    places
        .lock()
        .expect("places")
        .retain(|id, _| orgs.contains(id));
    let mut more = false;
    for org in orgs {
        let from = place(&org).unwrap_or(0);
        let (progress, next) = deprovision::step(&client, org, from, limit).await?;
        match progress {
            Progress::Deleted(table, n) => {
                metrics.rows_deleted.with_label_values(&[table]).inc_by(n);
                places.lock().expect("places").insert(org, next);
                more = true;
            }
            Progress::Finished => {
                metrics.organizations_deleted.inc();
                places.lock().expect("places").remove(&org);
                tracing::info!(organization_id = %org, "organization deleted with all its data");
            }
        }
    }
    Ok(more)
}
