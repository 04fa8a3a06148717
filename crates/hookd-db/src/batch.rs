//! Groups the writes of concurrent callers into one statement: a caller hands its item over and
//! waits; items are flushed together as soon as a flush slot is free, so batches grow with load
//! and a lone caller waits for nothing. Used for message and inbound request inserts, fan-out,
//! gateway routing and attempt records.

use crate::DbError;
use futures_util::future::BoxFuture;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Semaphore};

type Reply<R> = oneshot::Sender<Result<R, DbError>>;

pub struct Batcher<T, R> {
    tx: mpsc::Sender<(T, Reply<R>)>,
}

impl<T, R> Clone for Batcher<T, R> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// `flush` gets up to `max` items and answers one result per item, in order; up to
    /// `flushes` run at once so the database works on several batches in parallel.
    pub fn start<F, Fut>(max: usize, flushes: usize, flush: F) -> Self
    where
        F: Fn(Vec<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<Result<R, DbError>>> + Send + 'static,
    {
        Self::lingering(max, flushes, std::time::Duration::ZERO, flush)
    }

    /// As `start`, but a batch waits `linger` after its first item for more: for writes no
    /// caller is in a hurry for, fewer and larger transactions.
    pub fn lingering<F, Fut>(
        max: usize,
        flushes: usize,
        linger: std::time::Duration,
        flush: F,
    ) -> Self
    where
        F: Fn(Vec<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<Result<R, DbError>>> + Send + 'static,
    {
        let (tx, mut rx) = mpsc::channel::<(T, Reply<R>)>(max * flushes * 4);
        let flush = Arc::new(flush);
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(flushes.max(1)));
            while let Some(first) = rx.recv().await {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                if !linger.is_zero() {
                    tokio::time::sleep(linger).await;
                }
                let mut batch = vec![first];
                while batch.len() < max {
                    match rx.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
                let flush = flush.clone();
                tokio::spawn(async move {
                    let (items, replies): (Vec<T>, Vec<Reply<R>>) = batch.into_iter().unzip();
                    let mut results = flush(items).await.into_iter();
                    for reply in replies {
                        let result = results.next().unwrap_or_else(|| {
                            Err(DbError::Unavailable("batch flush gave no answer".into()))
                        });
                        let _ = reply.send(result);
                    }
                    drop(slot);
                });
            }
        });
        Self { tx }
    }

    /// Hands one item over and waits for its result.
    pub async fn submit(&self, item: T) -> Result<R, DbError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((item, reply))
            .await
            .map_err(|_| DbError::Unavailable("batcher stopped".into()))?;
        answer
            .await
            .map_err(|_| DbError::Unavailable("batcher stopped".into()))?
    }
}

/// Writes one batch on one database connection (one statement or one transaction), answering
/// one result per item, in order. Used through `Batcher::on_pool`.
pub trait BatchWrite<T, R>: Send + Sync + 'static {
    fn write<'a>(
        &'a self,
        client: &'a mut crate::Client,
        items: &'a [T],
    ) -> BoxFuture<'a, Result<Vec<R>, DbError>>;
}

impl<T: Send + Sync + 'static, R: Send + 'static> Batcher<T, R> {
    /// A batcher whose flush takes a pooled connection and hands the whole batch to `writer`.
    /// When a row fails the batch (it raced a deletion) rather than the database being
    /// unavailable, each item is written alone, so only its own caller sees the error.
    pub fn on_pool<W: BatchWrite<T, R>>(
        pool: crate::Pool,
        max: usize,
        flushes: usize,
        writer: Arc<W>,
    ) -> Self {
        Self::start(max, flushes, move |batch: Vec<T>| {
            let (pool, writer) = (pool.clone(), writer.clone());
            async move {
                let mut client = match pool.get().await {
                    Ok(c) => c,
                    Err(e) => return all_failed(batch.len(), &DbError::from(e)),
                };
                match writer.write(&mut client, &batch).await {
                    Ok(answers) => answers.into_iter().map(Ok).collect(),
                    Err(e) if e.is_unavailable() => all_failed(batch.len(), &e),
                    Err(_) => {
                        let mut answers = Vec::with_capacity(batch.len());
                        for item in &batch {
                            let one = writer.write(&mut client, std::slice::from_ref(item)).await;
                            answers.push(one.and_then(|mut a| {
                                a.pop().ok_or_else(|| {
                                    DbError::Unavailable("batch write gave no answer".into())
                                })
                            }));
                        }
                        answers
                    }
                }
            }
        })
    }
}

/// The same error for every item of a failed batch.
pub fn all_failed<R>(n: usize, e: &DbError) -> Vec<Result<R, DbError>> {
    (0..n)
        .map(|_| {
            Err(match e {
                DbError::Conflict { constraint } => DbError::Conflict {
                    constraint: constraint.clone(),
                },
                DbError::NotFound => DbError::NotFound,
                other => DbError::Unavailable(hookd_domain::reason(other)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_items_share_flushes_and_get_their_own_answers() {
        let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let batcher = Batcher::start(8, 1, move |items: Vec<u32>| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(items.len());
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                items.into_iter().map(|i| Ok(i * 2)).collect()
            }
        });
        let answers = futures_util::future::join_all((0..20u32).map(|i| {
            let b = batcher.clone();
            async move { b.submit(i).await.unwrap() }
        }))
        .await;
        assert_eq!(answers, (0..20u32).map(|i| i * 2).collect::<Vec<_>>());
        let sizes = sizes.lock().unwrap();
        assert_eq!(sizes.iter().sum::<usize>(), 20);
        assert!(sizes.len() < 20, "no batching happened: {sizes:?}");
        assert!(sizes.iter().all(|&n| n <= 8));
    }
}
