//! Attempt records in batches: concurrent tries share one statement. A fifo lane's records go
//! in batches of their own, each one transaction that also promotes the next delivery of
//! every lane whose head it settles (`lanes::settle_and_promote`): a lane's message costs one
//! synchronous commit, and never waits for a flush of unordered records to free a slot.

use hookd_db::deliveries::{AttemptRecord, Due, Settled};
use hookd_db::{Batcher, DbError, Pool};
use std::time::Duration;

/// What recording one attempt gave.
#[derive(Debug)]
pub struct Recorded {
    /// `Some` when its delivery reached a final status (with its fifo lane, if any).
    pub settled: Option<Settled>,
    /// The next delivery of the lane it settled, promoted and leased in the same transaction;
    /// `None` when the lane had none ready then.
    pub next: Option<Due>,
}

#[derive(Clone)]
pub struct Recorder {
    unordered: Batcher<AttemptRecord, Recorded>,
    lanes: Batcher<AttemptRecord, Recorded>,
}

impl Recorder {
    /// Records one attempt; `ordered`: its delivery is of a fifo lane.
    pub async fn submit(&self, record: AttemptRecord, ordered: bool) -> Result<Recorded, DbError> {
        if ordered {
            self.lanes.submit(record).await
        } else {
            self.unordered.submit(record).await
        }
    }
}

const MAX_BATCH: usize = 512;
const FLUSHES: usize = 2;

/// `lease`: how long a promoted delivery is leased to the worker that runs it.
pub fn start(pool: Pool, lease: Duration) -> Recorder {
    Recorder {
        unordered: batcher(pool.clone(), None),
        lanes: batcher(pool, Some(lease)),
    }
}

fn batcher(pool: Pool, promote: Option<Duration>) -> Batcher<AttemptRecord, Recorded> {
    Batcher::start(MAX_BATCH, FLUSHES, move |records: Vec<AttemptRecord>| {
        let pool = pool.clone();
        async move {
            match write(&pool, &records, promote).await {
                Ok((settled, due)) => answers(&records, &settled, due),
                Err(e) if e.is_unavailable() => hookd_db::all_failed(records.len(), &e),
                // A row raced a deletion: record one by one, so one row cannot fail the others.
                Err(_) => one_by_one(&pool, &records, promote).await,
            }
        }
    })
}

/// One batch in one statement, or (`promote`: the lease of promoted deliveries) in one
/// transaction with its lanes' promotions.
async fn write(
    pool: &Pool,
    records: &[AttemptRecord],
    promote: Option<Duration>,
) -> Result<(Vec<Settled>, Vec<Due>), DbError> {
    let client = pool.get().await?;
    match promote {
        None => Ok((
            hookd_db::deliveries::record_attempts(&client, records).await?,
            Vec::new(),
        )),
        Some(lease) => {
            let until = hookd_service::lease_until(lease);
            hookd_db::lanes::settle_and_promote(&client, records, until).await
        }
    }
}

/// Each record's answer: its settle, and the delivery promoted in the lane it settled.
fn answers(
    records: &[AttemptRecord],
    settled: &[Settled],
    due: Vec<Due>,
) -> Vec<Result<Recorded, DbError>> {
    let mut due: Vec<Option<Due>> = due.into_iter().map(Some).collect();
    records
        .iter()
        .map(|r| {
            let settled = settled
                .iter()
                .find(|s| s.delivery_id == r.delivery_id)
                .cloned();
            let lane = settled.as_ref().and_then(|s| s.lane.as_ref());
            let next = lane.and_then(|lane| {
                due.iter_mut()
                    .find(|d| d.as_ref().is_some_and(|d| d.lane.as_ref() == Some(lane)))
                    .and_then(Option::take)
            });
            Ok(Recorded { settled, next })
        })
        .collect()
}

async fn one_by_one(
    pool: &Pool,
    records: &[AttemptRecord],
    promote: Option<Duration>,
) -> Vec<Result<Recorded, DbError>> {
    let mut results = Vec::with_capacity(records.len());
    for r in records {
        let one = std::slice::from_ref(r);
        results.push(match write(pool, one, promote).await {
            Ok((settled, due)) => answers(one, &settled, due).remove(0),
            // Its delivery is gone: nothing left to record or retry.
            Err(DbError::NotFound) => Ok(Recorded {
                settled: Some(Settled {
                    delivery_id: r.delivery_id,
                    lane: None,
                }),
                next: None,
            }),
            Err(e) => Err(e),
        });
    }
    results
}
