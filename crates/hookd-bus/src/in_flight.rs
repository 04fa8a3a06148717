//! How many envelopes a consumer routes at once.

use crate::{Ack, Batchable};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Bounds the envelopes a consumer routes at once, whatever broker messages they came in.
///
/// A broker message carries up to 64 envelopes since ingest batches them ([`crate::Coalescer`]),
/// so the consumer's prefetch alone no longer bounds the work in flight: with prefetch 200,
/// S3's fan-outs to 100 endpoints each held the router at 79 MiB, against 55 MiB with 200
/// envelopes at once (BENCHMARKS.md, 2026-12-03).
#[derive(Debug, Clone)]
pub struct InFlight(Arc<Semaphore>);

impl InFlight {
    /// At most `envelopes` (at least one) routed at once.
    pub fn new(envelopes: usize) -> Self {
        Self(Arc::new(Semaphore::new(envelopes.max(1))))
    }

    /// Routes `envelope` and those batched with it concurrently, each once a place is free
    /// (first come, first served); the broker message's decision is theirs together
    /// ([`Ack::all`]).
    pub async fn route<T, F, Fut>(&self, envelope: T, route: F) -> Ack
    where
        T: Batchable,
        F: Fn(T) -> Fut,
        Fut: Future<Output = Ack>,
    {
        let route = &route;
        let routed = envelope.unnest().into_iter().map(|e| async move {
            // The semaphore is never closed, so this is always a permit.
            let _place = self.0.acquire().await;
            route(e).await
        });
        Ack::all(futures_util::future::join_all(routed).await)
    }

    #[cfg(test)]
    fn available(&self) -> usize {
        self.0.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelopes::MessageAccepted;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn batch(n: usize) -> MessageAccepted {
        let one = |i: usize| MessageAccepted {
            message_id: format!("m{i}"),
            ..Default::default()
        };
        MessageAccepted::nest(one(0), (1..n).map(one).collect())
    }

    #[tokio::test]
    async fn no_more_than_the_bound_are_routed_at_once() {
        let limit = InFlight::new(3);
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let ack = limit
            .route(batch(20), |_| async {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                tokio::task::yield_now().await;
                now.fetch_sub(1, Ordering::SeqCst);
                Ack::Ack
            })
            .await;
        assert_eq!(ack, Ack::Ack);
        assert_eq!(most.load(Ordering::SeqCst), 3);
        assert_eq!(limit.available(), 3, "every place is given back");
    }

    #[tokio::test]
    async fn one_requeue_requeues_the_broker_message() {
        let limit = InFlight::new(2);
        let ack = limit
            .route(batch(5), |e| async move {
                if e.message_id == "m3" {
                    Ack::Requeue
                } else {
                    Ack::Ack
                }
            })
            .await;
        assert_eq!(ack, Ack::Requeue);
    }
}
