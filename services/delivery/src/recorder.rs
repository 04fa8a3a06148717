use hookd_db::deliveries::AttemptRecord;
use hookd_db::{DbError, Pool};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

type Reply = oneshot::Sender<Result<bool, String>>;

/// Records attempts in batches: concurrent tries share one statement, flushed as soon as the
/// previous one returns, so the database sees a few large writes instead of many small ones.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<(AttemptRecord, Reply)>,
}

const MAX_BATCH: usize = 512;

impl Recorder {
    pub fn start(pool: Pool) -> Self {
        let (tx, mut rx) = mpsc::channel::<(AttemptRecord, Reply)>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
                let records: Vec<AttemptRecord> = batch.iter().map(|(r, _)| r.clone()).collect();
                let result = flush(&pool, &records).await;
                for (record, reply) in batch {
                    let answer = match &result {
                        Ok(finished) => Ok(finished.contains(&record.delivery_id)),
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = reply.send(answer);
                }
            }
        });
        Self { tx }
    }

    /// Records one attempt; `Ok(true)` when its delivery reached a final status.
    pub async fn record(&self, record: AttemptRecord) -> Result<bool, String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((record, reply))
            .await
            .map_err(|_| "recorder stopped".to_string())?;
        answer.await.map_err(|_| "recorder stopped".to_string())?
    }
}

async fn flush(pool: &Pool, records: &[AttemptRecord]) -> Result<Vec<Uuid>, DbError> {
    let client = pool.get().await?;
    hookd_db::deliveries::record_attempts(&client, records).await
}
