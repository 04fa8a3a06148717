//! Jobs put off, in batches: a job put off for seconds can wait a little longer for others, so
//! a stuck endpoint's stream of jobs costs the database one commit per batch, not per job.

use hookd_db::deliveries::Postponement;
use hookd_db::{Batcher, Pool};
use std::time::Duration;

/// Answers, per job, once its postponement is written (then the job may be acked).
pub type Postponer = Batcher<Postponement, ()>;

const MAX_BATCH: usize = 1000;
/// One batch at a time: with the linger, at most a few commits a second whatever the rate.
const FLUSHES: usize = 1;
const LINGER: Duration = Duration::from_millis(100);

pub fn start(pool: Pool) -> Postponer {
    Batcher::lingering(
        MAX_BATCH,
        FLUSHES,
        LINGER,
        move |jobs: Vec<Postponement>| {
            let pool = pool.clone();
            async move {
                let written = async {
                    let client = pool.get().await?;
                    hookd_db::deliveries::postpone(&client, &jobs).await
                }
                .await;
                match written {
                    Ok(()) => jobs.iter().map(|_| Ok(())).collect(),
                    Err(e) => hookd_db::all_failed(jobs.len(), &e),
                }
            }
        },
    )
}
