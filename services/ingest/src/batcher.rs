//! Groups the inserts of concurrent message sends into one statement: a request hands its
//! message to the batcher and waits; the batcher flushes what has gathered as soon as a flush
//! slot is free, so batches grow with load and a lone request waits for nothing.

use hookd_db::messages::NewMessage;
use hookd_db::{DbError, Pool};
use hookd_domain::Message;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Semaphore};

type Answer = Result<(Message, bool), DbError>;

#[derive(Clone)]
pub struct InsertBatcher {
    tx: mpsc::Sender<(NewMessage, oneshot::Sender<Answer>)>,
}

const MAX_BATCH: usize = 256;
/// Flushes in flight at once, so the database works on several batches in parallel.
const FLUSHES: usize = 4;

impl InsertBatcher {
    pub fn start(pool: Pool) -> Self {
        let (tx, mut rx) = mpsc::channel::<(NewMessage, oneshot::Sender<Answer>)>(4096);
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(FLUSHES));
            while let Some(first) = rx.recv().await {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
                let pool = pool.clone();
                tokio::spawn(async move {
                    flush(&pool, batch).await;
                    drop(slot);
                });
            }
        });
        Self { tx }
    }

    /// Stores one message; answers as `hookd_db::messages::insert` does.
    pub async fn insert(&self, message: NewMessage) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((message, reply))
            .await
            .map_err(|_| DbError::Unavailable("insert batcher stopped".into()))?;
        answer
            .await
            .map_err(|_| DbError::Unavailable("insert batcher stopped".into()))?
    }
}

async fn flush(pool: &Pool, batch: Vec<(NewMessage, oneshot::Sender<Answer>)>) {
    let client = match pool.get().await {
        Ok(c) => c,
        Err(e) => {
            let e = DbError::from(e);
            for (_, reply) in batch {
                let _ = reply.send(Err(DbError::Unavailable(e.to_string())));
            }
            return;
        }
    };
    let messages: Vec<NewMessage> = batch.iter().map(|(m, _)| m.clone()).collect();
    match hookd_db::messages::insert_many(&client, &messages).await {
        Ok(answers) => {
            for ((_, reply), answer) in batch.into_iter().zip(answers) {
                let _ = reply.send(Ok(answer));
            }
        }
        Err(e) if e.is_unavailable() => {
            for (_, reply) in batch {
                let _ = reply.send(Err(DbError::Unavailable(e.to_string())));
            }
        }
        Err(_) => {
            // One row can fail the whole statement (its app was deleted meanwhile): store the
            // rest one by one so only that request sees the error.
            for (m, reply) in batch {
                let _ = reply.send(hookd_db::messages::insert(&client, &m).await);
            }
        }
    }
}
