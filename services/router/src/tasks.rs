//! The task scheduler: starts due tasks by turning each into a stored message, then hands the
//! message to the ordinary routing path. Several routers run it at once; the claim's
//! `FOR UPDATE SKIP LOCKED` gives each due task to exactly one of them, and the message and
//! the `running` mark commit together, so a crash before the commit leaves the task due and a
//! crash after it leaves an unrouted message for the relay.

use hookd_bus::{Publisher, Route};
use hookd_db::{DbError, Pool};
use hookd_telemetry::prometheus::{IntCounter, Opts, Registry};
use prost::Message as _;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Tasks started per transaction; a full batch is followed at once by the next.
pub const BATCH: i64 = 100;

/// The scheduler's counters, registered with the router's.
#[derive(Clone)]
pub struct TaskMetrics {
    pub started: IntCounter,
    pub publish_failures: IntCounter,
    pub settled_late: IntCounter,
}

impl TaskMetrics {
    pub fn register(registry: &Registry) -> Self {
        let counter = |name: &str, help: &str| {
            let c = IntCounter::with_opts(Opts::new(name, help)).expect("metric");
            registry.register(Box::new(c.clone())).expect("register");
            c
        };
        Self {
            started: counter(
                "hookd_router_tasks_started_total",
                "Tasks started (claimed and stored as a message).",
            ),
            publish_failures: counter(
                "hookd_router_task_publish_failures_total",
                "Started tasks whose message publish failed (the relay sends them).",
            ),
            settled_late: counter(
                "hookd_router_tasks_settled_late_total",
                "Running tasks settled by the backstop rather than by the delivery worker.",
            ),
        }
    }
}

/// What one pass of the scheduler did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Started this many tasks (at most `BATCH`; `BATCH` means more may be due).
    Started(usize),
    /// Nothing was due.
    NothingDue,
}

/// Claims one batch of due tasks, commits, then publishes their messages.
pub async fn start_due(
    pool: &Pool,
    publisher: &Publisher,
    metrics: &TaskMetrics,
) -> Result<Outcome, DbError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let claimed = hookd_db::tasks::claim_due(&tx, BATCH).await?;
    tx.commit().await?;
    drop(client);
    if claimed.is_empty() {
        return Ok(Outcome::NothingDue);
    }
    metrics.started.inc_by(claimed.len() as u64);
    // Committed: each task has run as far as the outbox. The publish is the fast path to the
    // fan-out; if it fails the relay publishes the unrouted message after `relay_after`.
    let publishes = claimed.iter().map(|c| async move {
        let envelope = hookd_bus::message_accepted(&c.message, c.app_id, None, Some(c.task_id))
            .encode_to_vec();
        (c, publisher.publish(Route::Messages, &envelope).await)
    });
    for (c, result) in futures_util::future::join_all(publishes).await {
        if let Err(e) = result {
            metrics.publish_failures.inc();
            tracing::warn!(task_id = %c.task_id, message_id = %c.message.id, error = %e,
                "task message publish failed; the relay will send it");
        }
    }
    tracing::debug!(started = claimed.len(), "started due tasks");
    Ok(Outcome::Started(claimed.len()))
}

/// Runs the scheduler until `shutdown`: a pass every `interval`, at once again after a full
/// batch; beside it, every `settle_every`, the backstop that settles tasks whose last delivery
/// ended without settling them.
pub async fn run(
    pool: Pool,
    publisher: Arc<Publisher>,
    metrics: TaskMetrics,
    interval: Duration,
    settle_every: Duration,
    shutdown: CancellationToken,
) {
    let starts = hookd_service::periodic("task scheduler", interval, shutdown.clone(), || async {
        Ok::<_, DbError>(matches!(
            start_due(&pool, &publisher, &metrics).await?,
            Outcome::Started(n) if n as i64 >= BATCH
        ))
    });
    let settles = hookd_service::periodic("stale task settler", settle_every, shutdown, || async {
        settle_stale(&pool, settle_every, &metrics)
            .await
            .map(|()| false)
    });
    tokio::join!(starts, settles);
}

async fn settle_stale(
    pool: &Pool,
    older_than: Duration,
    metrics: &TaskMetrics,
) -> Result<(), DbError> {
    let before = chrono::Utc::now() - chrono::Duration::from_std(older_than).unwrap_or_default();
    let client = pool.get().await?;
    let settled = hookd_db::tasks::settle_stale(&client, before, 500).await?;
    if settled > 0 {
        metrics.settled_late.inc_by(settled);
        tracing::info!(settled, "settled running tasks whose deliveries had ended");
    }
    Ok(())
}
