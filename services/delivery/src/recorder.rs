//! Attempt records in batches: concurrent tries share one statement.

use hookd_db::deliveries::AttemptRecord;
use hookd_db::{Batcher, DbError, Pool};

async fn one_by_one(pool: &Pool, records: &[AttemptRecord]) -> Vec<Result<bool, DbError>> {
    let client = match pool.get().await {
        Ok(c) => c,
        Err(e) => return hookd_db::all_failed(records.len(), &DbError::from(e)),
    };
    let mut answers = Vec::with_capacity(records.len());
    for r in records {
        answers.push(
            match hookd_db::deliveries::record_attempts(&client, std::slice::from_ref(r)).await {
                Ok(finished) => Ok(finished.contains(&r.delivery_id)),
                // Its delivery is gone: nothing left to record or retry.
                Err(DbError::NotFound) => Ok(true),
                Err(e) => Err(e),
            },
        );
    }
    answers
}

/// Answers, per attempt, whether its delivery reached a final status.
pub type Recorder = Batcher<AttemptRecord, bool>;

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
                Ok(finished) => records
                    .iter()
                    .map(|r| Ok(finished.contains(&r.delivery_id)))
                    .collect(),
                Err(e) if e.is_unavailable() => hookd_db::all_failed(records.len(), &e),
                // A row raced a deletion: record one by one, so one row cannot fail the others.
                Err(_) => one_by_one(&pool, &records).await,
            }
        }
    })
}
