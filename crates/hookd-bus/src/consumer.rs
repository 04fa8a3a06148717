use crate::acks::{AckCounts, Acks};
use crate::{connect, BusError, Route, Topology};
use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What a handler decided about one envelope.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
const SETUP_TIMEOUT: Duration = Duration::from_secs(15);
/// How long handlers in flight may finish after shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(8);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// Done (its effects are durable): remove it from the queue.
    Ack,
    /// Could not be handled now (a dependency is down): put it back for another try.
    Requeue,
    /// Can never be handled (undecodable): dead-letter it.
    Reject,
}

impl Ack {
    /// The decision for envelopes that came in one broker message (`Coalescer`): put back if
    /// any must be (handling is idempotent, so those done are done again harmlessly),
    /// dead-lettered if none can ever be handled, else done (one that cannot be handled was
    /// logged by its handler; the relay finds its row, if it has one).
    pub fn all(acks: impl IntoIterator<Item = Ack>) -> Ack {
        let (mut any, mut all_rejected) = (false, true);
        for ack in acks {
            if ack == Ack::Requeue {
                return Ack::Requeue;
            }
            any = true;
            all_rejected &= ack == Ack::Reject;
        }
        if any && all_rejected {
            Ack::Reject
        } else {
            Ack::Ack
        }
    }
}

#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub url: String,
    pub topology: Topology,
    pub route: Route,
    pub prefetch: u16,
    pub tag: String,
    /// What the consumer acked, and in how many frames (acks are coalesced: `acks.rs`).
    pub acks: Arc<AckCounts>,
}

/// Consumes `route`'s queue until `shutdown`: each envelope is handled on its own task (up to
/// `prefetch` at once) and acked manually after the handler returns (acks of consecutive
/// envelopes coalesced into one `multiple` ack, see `acks.rs`). Reconnects with backoff
/// when the broker goes away; on shutdown it stops taking envelopes and waits for the handlers
/// in flight, whose unacked envelopes the broker hands out again if they do not finish.
pub async fn consume<H, F>(config: ConsumerConfig, shutdown: CancellationToken, handler: H)
where
    H: Fn(Vec<u8>, bool) -> F + Send + Sync + 'static,
    F: Future<Output = Ack> + Send + 'static,
{
    let handler = Arc::new(handler);
    let tracker = TaskTracker::new();
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        match consume_once(&config, &shutdown, &handler, &tracker).await {
            Ok(()) => backoff = Duration::from_millis(100),
            Err(e) => {
                tracing::warn!(queue = %config.topology.queue(config.route), error = %e,
                    "consumer lost the broker; reconnecting");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
    tracker.close();
    tracker.wait().await;
}

async fn consume_once<H, F>(
    config: &ConsumerConfig,
    shutdown: &CancellationToken,
    handler: &Arc<H>,
    tracker: &TaskTracker,
) -> Result<(), BusError>
where
    H: Fn(Vec<u8>, bool) -> F + Send + Sync + 'static,
    F: Future<Output = Ack> + Send + 'static,
{
    let setup = async {
        let conn = connect(&config.url).await?;
        let ch = conn.create_channel().await?;
        config.topology.declare(&ch).await?;
        ch.basic_qos(config.prefetch, BasicQosOptions::default())
            .await?;
        let stream = ch
            .basic_consume(
                config.topology.queue(config.route).as_str().into(),
                config.tag.as_str().into(),
                BasicConsumeOptions::default(), // manual ack
                FieldTable::default(),
            )
            .await?;
        Ok::<_, BusError>((conn, ch, stream))
    };
    let (acks, acking) = Acks::start(config.acks.clone());
    // Bounded and given up on shutdown: over a link cut mid-handshake lapin can wait for a
    // reply for good.
    let (conn, ch, mut stream) = tokio::select! {
        _ = shutdown.cancelled() => return Ok(()),
        set = tokio::time::timeout(SETUP_TIMEOUT, setup) => set.map_err(|_| BusError::Timeout)??,
    };
    loop {
        let delivery = tokio::select! {
            _ = shutdown.cancelled() => break,
            next = stream.next() => match next {
                Some(Ok(d)) => d,
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
        };
        let handler = handler.clone();
        let stopping = shutdown.clone();
        acks.started(delivery.delivery_tag);
        let acks = acks.clone();
        tracker.spawn(async move {
            // Past shutdown a handler has DRAIN_TIMEOUT to finish; one held up longer (by a
            // lost broker) is dropped unacked, and the broker hands its envelope out again.
            let deadline = async {
                stopping.cancelled().await;
                tokio::time::sleep(DRAIN_TIMEOUT).await;
            };
            tokio::select! {
                _ = handle_one(handler.as_ref(), delivery, &acks) => {}
                _ = deadline => tracing::warn!("shutdown: a handler did not finish; its envelope will be redelivered"),
            }
        });
    }
    // Let the handlers in flight finish and ack before the channel closes (each bounded).
    tracker.close();
    tracker.wait().await;
    tracker.reopen();
    // The last acks go out before the channel closes.
    drop(acks);
    let _ = acking.await;
    // A courtesy to the broker, bounded: after a lost link lapin's close can wait for an
    // answer that never comes, and would hold the service's shutdown.
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, ch.close(200, "shutdown".into())).await;
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, conn.close(200, "shutdown".into())).await;
    Ok(())
}

/// Runs the handler on one envelope and reports what it decided to the channel's acks.
async fn handle_one<H, F>(handler: &H, delivery: lapin::message::Delivery, acks: &Acks)
where
    H: Fn(Vec<u8>, bool) -> F,
    F: Future<Output = Ack>,
{
    let outcome = handler(delivery.data, delivery.redelivered).await;
    acks.finished(delivery.acker, delivery.delivery_tag, outcome);
}

#[cfg(test)]
mod tests {
    use super::Ack;

    #[test]
    fn envelopes_of_one_broker_message_settle_together() {
        let (ack, requeue, reject) = (Ack::Ack, Ack::Requeue, Ack::Reject);
        assert_eq!(Ack::all([ack, ack]), ack);
        assert_eq!(
            Ack::all([ack, requeue, reject]),
            requeue,
            "one to redo redoes all"
        );
        assert_eq!(Ack::all([reject, reject]), reject, "nothing can be handled");
        assert_eq!(Ack::all([ack, reject]), ack, "the handled ones are done");
        assert_eq!(Ack::all([reject]), reject);
    }
}
