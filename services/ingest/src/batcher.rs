//! The message insert batcher: concurrent sends share one statement and one commit.

use hookd_db::messages::NewMessage;
use hookd_db::{Batcher, DbError, Pool};
use hookd_domain::Message;

pub type InsertBatcher = Batcher<NewMessage, (Message, bool)>;

const MAX_BATCH: usize = 256;
const FLUSHES: usize = 4;

pub fn start(pool: Pool) -> InsertBatcher {
    Batcher::start(MAX_BATCH, FLUSHES, move |batch: Vec<NewMessage>| {
        let pool = pool.clone();
        async move {
            let client = match pool.get().await {
                Ok(c) => c,
                Err(e) => return hookd_db::all_failed(batch.len(), &DbError::from(e)),
            };
            match hookd_db::messages::insert_many(&client, &batch).await {
                Ok(answers) => answers.into_iter().map(Ok).collect(),
                Err(e) if e.is_unavailable() => hookd_db::all_failed(batch.len(), &e),
                Err(_) => {
                    // One row can fail the whole statement (its app was deleted meanwhile):
                    // store the rest one by one so only that request sees the error.
                    let mut answers = Vec::with_capacity(batch.len());
                    for m in &batch {
                        answers.push(hookd_db::messages::insert(&client, m).await);
                    }
                    answers
                }
            }
        }
    })
}
