//! Attempt records in batches: concurrent tries share one statement.

use hookd_db::deliveries::{AttemptRecord, Settled};
use hookd_db::{Batcher, DbError, Pool};

async fn one_by_one(pool: &Pool, records: &[AttemptRecord]) -> Vec<Result<Answer, DbError>> {
    let client = match pool.get().await {
        Ok(c) => c,
        Err(e) => return hookd_db::all_failed(records.len(), &DbError::from(e)),
    };
    let mut answers = Vec::with_capacity(records.len());
    for r in records {
        answers.push(
            match hookd_db::deliveries::record_attempts(&client, std::slice::from_ref(r)).await {
                Ok(mut settled) => Ok(settled.pop()),
                // Its delivery is gone: nothing left to record or retry.
                Err(DbError::NotFound) => Ok(Some(Settled {
                    delivery_id: r.delivery_id,
                    lane: None,
                })),
                Err(e) => Err(e),
            },
        );
    }
    answers
}

/// Per attempt: `Some` when its delivery reached a final status (with its fifo lane, if any).
pub type Answer = Option<Settled>;

pub type Recorder = Batcher<AttemptRecord, Answer>;

const MAX_BATCH: usize = 512;
const FLUSHES: usize = 2;

pub fn start(pool: Pool) -> Recorder {
    Batcher::start(MAX_BATCH, FLUSHES, move |records: Vec<AttemptRecord>| {
        let pool = pool.clone();
        async move {
            let result = async {
                let client = pool.get().await?;
                hookd_db::deliveries::record_attempts(&client, &records).await
            }
            .await;
            match result {
                Ok(settled) => records
                    .iter()
                    .map(|r| {
                        Ok(settled
                            .iter()
                            .find(|s| s.delivery_id == r.delivery_id)
                            .cloned())
                    })
                    .collect(),
                Err(e) if e.is_unavailable() => hookd_db::all_failed(records.len(), &e),
                // A row raced a deletion: record one by one, so one row cannot fail the others.
                Err(_) => one_by_one(&pool, &records).await,
            }
        }
    })
}
