//! Envelopes published after their answer, gathered: one publish (one broker message, one
//! confirm, one ack at the consumer) carries whatever was handed over while the previous
//! publishes were in flight. A lone envelope goes at once, so a quiet service waits for
//! nothing; under load the broker's work per message falls with the batch size (issue 13).

use crate::envelopes::{MessageAccepted, RequestAccepted};
use crate::{BusError, Publisher, Route};
use std::sync::Arc;
use tokio::sync::{mpsc, Semaphore};
use tracing::Instrument;

/// An envelope that can carry others of its kind beside it (`batched` in `bus.proto`).
pub trait Batchable: prost::Message + Sized + Send + 'static {
    /// `first`, with `rest` beside it.
    fn nest(first: Self, rest: Vec<Self>) -> Self;
    /// The envelope and those beside it, each alone.
    fn unnest(self) -> Vec<Self>;
    /// The id of what the envelope announces, for logs.
    fn id(&self) -> &str;
}

/// The two envelopes published after a commit share the field's name and meaning.
macro_rules! batchable {
    ($($envelope:ty => $id:ident),*) => {$(
        impl Batchable for $envelope {
            fn nest(mut first: Self, rest: Vec<Self>) -> Self {
                first.batched = rest;
                first
            }

            fn unnest(mut self) -> Vec<Self> {
                let mut all = std::mem::take(&mut self.batched);
                all.insert(0, self);
                all
            }

            fn id(&self) -> &str {
                &self.$id
            }
        }
    )*};
}

batchable!(MessageAccepted => message_id, RequestAccepted => request_id);

/// How much a coalescer holds and gathers.
#[derive(Debug, Clone, Copy)]
pub struct CoalescerLimits {
    /// Envelopes waiting for a publish; beyond it `offer` refuses (the relay sends them).
    pub queued: usize,
    /// Publishes awaiting their confirm at once.
    pub in_flight: usize,
    /// Envelopes in one publish.
    pub max_batch: usize,
    /// Encoded bytes in one publish (the first envelope goes whatever its size).
    pub max_bytes: usize,
}

impl Default for CoalescerLimits {
    fn default() -> Self {
        Self {
            queued: 4096,
            in_flight: 4,
            max_batch: 64,
            // With the router's prefetch, bounds what a router holds (defaults.toml).
            max_bytes: 256 << 10,
        }
    }
}

/// Called with each envelope of a publish that failed.
pub type OnFailure<T> = Arc<dyn Fn(&T, &BusError) + Send + Sync>;

/// Hands envelopes to one task that publishes them in batches on `route`.
pub struct Coalescer<T> {
    tx: mpsc::Sender<T>,
}

impl<T: Batchable> Coalescer<T> {
    /// Starts the publishing task; it ends when the coalescer is dropped and its queue is empty.
    pub fn start(
        publisher: Arc<Publisher>,
        route: Route,
        limits: CoalescerLimits,
        on_failure: OnFailure<T>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(limits.queued.max(1));
        tokio::spawn(run(publisher, route, limits, rx, on_failure));
        Self { tx }
    }

    /// Queues `envelope` for publishing, or gives it back when the queue is full (the broker
    /// is slow or down) or the task has ended.
    pub fn offer(&self, envelope: T) -> Result<(), T> {
        self.tx.try_send(envelope).map_err(|e| match e {
            mpsc::error::TrySendError::Full(t) | mpsc::error::TrySendError::Closed(t) => t,
        })
    }
}

async fn run<T: Batchable>(
    publisher: Arc<Publisher>,
    route: Route,
    limits: CoalescerLimits,
    mut rx: mpsc::Receiver<T>,
    on_failure: OnFailure<T>,
) {
    let slots = Arc::new(Semaphore::new(limits.in_flight.max(1)));
    loop {
        // A free slot first: while every slot awaits its confirm, envelopes gather.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = rx.recv().await else {
            return;
        };
        let mut bytes = first.encoded_len();
        let mut rest = Vec::new();
        while rest.len() + 1 < limits.max_batch && bytes < limits.max_bytes {
            match rx.try_recv() {
                Ok(next) => {
                    bytes += next.encoded_len();
                    rest.push(next);
                }
                Err(_) => break,
            }
        }
        let count = rest.len() + 1;
        let envelope = T::nest(first, rest);
        let (publisher, on_failure) = (publisher.clone(), on_failure.clone());
        let span = tracing::info_span!(
            "bus.publish",
            route = route.routing_key(),
            envelopes = count
        );
        tokio::spawn(
            async move {
                if let Err(error) = publisher.publish(route, &envelope.encode_to_vec()).await {
                    for one in envelope.unnest() {
                        on_failure(&one, &error);
                    }
                }
                drop(slot);
            }
            .instrument(span),
        );
    }
}
