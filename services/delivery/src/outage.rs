//! A try while PostgreSQL is unreachable. A request that went is recorded once the database is
//! back, never sent again for want of its record; a redelivered job whose earlier try cannot
//! be looked up waits for the database instead of going blind. Before, both requeued the job
//! every 500 ms and each turn sent the request again: the duplicates `make chaos` counted
//! within the seconds of a database crash.

use crate::recorder::Recorded;
use crate::worker::Worker;
use hookd_bus::envelopes::DeliveryJob;
use hookd_db::deliveries::AttemptRecord;
use hookd_db::gateway::dispatch::{self, TryRecord};
use hookd_db::DbError;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const FIRST_PAUSE: Duration = Duration::from_millis(100);
const LONGEST_PAUSE: Duration = Duration::from_secs(2);

/// Runs `op` (given its turn, from 0) until it gives anything but `DbError::Unavailable`, for
/// at most `patience` and never past `stopping`; after that, its last answer.
pub(crate) async fn while_unavailable<T, F, Fut>(
    patience: Duration,
    stopping: &CancellationToken,
    mut op: F,
) -> Result<T, DbError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, DbError>>,
{
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    let mut turn = 0;
    loop {
        match op(turn).await {
            Err(e)
                if e.is_unavailable()
                    && started.elapsed() + pause < patience
                    && !stopping.is_cancelled() =>
            {
                if turn == 0 {
                    tracing::warn!(error = %e, "database unreachable; waiting for it");
                }
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stopping.cancelled() => {}
                }
                pause = (pause * 2).min(LONGEST_PAUSE);
                turn += 1;
            }
            other => return other,
        }
    }
}

impl Worker {
    /// How long a job waits for an unreachable database: well within its delivery's lease, so
    /// the retry scheduler does not send a second copy meanwhile.
    fn patience(&self) -> Duration {
        self.settings.delivery.lease / 2
    }

    /// Whether the job's try is recorded (its first consumer sent it and only the ack was
    /// lost): a delivery's attempt, or a gateway event's. `Unavailable` when the database
    /// stayed unreachable; a query error lets the job go (a duplicate, never a loss).
    pub(crate) async fn already_tried(&self, job: &DeliveryJob) -> Result<bool, DbError> {
        // A gateway job's delivery id is its event's id.
        let Ok(id) = Uuid::parse_str(&job.delivery_id) else {
            return Ok(false);
        };
        let attempt = job.attempt.max(1) as i32;
        let gateway = job.gateway.is_some();
        let tried = while_unavailable(self.patience(), &self.stopping, |_| async move {
            let client = self.pool.get().await?;
            if gateway {
                dispatch::tried(&client, id, attempt).await
            } else {
                hookd_db::attempts::recorded(&client, id, attempt).await
            }
        })
        .await;
        match tried {
            Ok(true) => {
                tracing::info!(delivery_id = %id, attempt, gateway,
                    "redelivered job already tried; not sending it again");
                Ok(true)
            }
            Err(e) if e.is_unavailable() => Err(e),
            Ok(false) | Err(_) => Ok(false),
        }
    }

    /// Records an attempt that was made. A retry first looks for the record, in case the
    /// first one committed and only its answer was lost; found, it counts as recorded with
    /// nothing settled (the lane sweep then moves a fifo lane on).
    pub(crate) async fn record(
        &self,
        record: &AttemptRecord,
        ordered: bool,
    ) -> Result<Recorded, DbError> {
        while_unavailable(self.patience(), &self.stopping, |turn| async move {
            if turn > 0 {
                let client = self.pool.get().await?;
                if hookd_db::attempts::recorded(&client, record.delivery_id, record.attempt).await?
                {
                    return Ok(Recorded {
                        settled: None,
                        next: None,
                    });
                }
            }
            self.recorder.submit(record.clone(), ordered).await
        })
        .await
    }

    /// A gateway try's record, waiting for the database like `record`; `Ok(None)`: the
    /// event is gone, or its try was recorded by an earlier turn.
    pub(crate) async fn record_gateway(
        &self,
        record: &TryRecord,
        attempt: i32,
    ) -> Result<Option<dispatch::Recorded>, DbError> {
        while_unavailable(self.patience(), &self.stopping, |turn| async move {
            if turn > 0 {
                let client = self.pool.get().await?;
                if dispatch::tried(&client, record.event_id, attempt).await? {
                    return Ok(None);
                }
            }
            self.gw_recorder.submit(record.clone()).await
        })
        .await
    }
}
