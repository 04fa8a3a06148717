//! Attempt records in batches: concurrent tries share one statement.

use hookd_db::deliveries::AttemptRecord;
use hookd_db::{Batcher, DbError, Pool};

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
                Err(e) => hookd_db::all_failed(records.len(), &DbError::Unavailable(e.to_string())),
            }
        }
    })
}
