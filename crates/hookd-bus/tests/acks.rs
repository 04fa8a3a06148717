//! The consumer's coalesced acks on the real broker: every envelope is settled once as its
//! handler decided (acked, requeued, dead-lettered), whatever order handlers finish in, and
//! runs of finished envelopes share one ack frame.

use hookd_bus::{consume, Ack, AckCounts, ConsumerConfig, Publisher, Route, Topology};
use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn amqp_url() -> String {
    std::env::var("HOOKD_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Ready envelopes in `queue` (not counting any held by a consumer).
async fn ready(ch: &lapin::Channel, queue: &str) -> u32 {
    ch.queue_declare(
        queue.into(),
        QueueDeclareOptions {
            passive: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap()
    .message_count()
}

struct Run {
    /// Handler calls per envelope, in the order they came.
    seen: HashMap<u32, Vec<bool>>,
    counts: Arc<AckCounts>,
    dead: u32,
    left: u32,
}

/// Publishes `n` envelopes (their number as payload), consumes them with `decide` until every
/// one is settled, stops the consumer, and reports what the broker and the handler saw.
async fn run<F>(name: &str, n: u32, decide: F) -> Run
where
    F: Fn(u32, bool) -> (Duration, Ack) + Send + Sync + 'static,
{
    let topology = Topology::new(format!("test.acks.{name}.{}.", uuid::Uuid::new_v4()));
    let conn = hookd_bus::connect(&amqp_url()).await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    topology.declare(&ch).await.unwrap();
    let publisher = Publisher::connect(&amqp_url(), topology.clone())
        .await
        .unwrap();
    let publisher = &publisher;
    futures_util::future::try_join_all(
        (0..n).map(|i| async move { publisher.publish(Route::Deliveries, &i.to_be_bytes()).await }),
    )
    .await
    .unwrap();
    let seen: Arc<Mutex<HashMap<u32, Vec<bool>>>> = Default::default();
    let settled = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counts = Arc::new(AckCounts::default());
    let config = ConsumerConfig {
        url: amqp_url(),
        topology: topology.clone(),
        route: Route::Deliveries,
        prefetch: 100,
        tag: "acks-test".into(),
        acks: counts.clone(),
    };
    let shutdown = CancellationToken::new();
    let decide = Arc::new(decide);
    let consumer = {
        let (seen, settled, decide) = (seen.clone(), settled.clone(), decide.clone());
        tokio::spawn(consume(
            config,
            shutdown.clone(),
            move |bytes, redelivered| {
                let (seen, settled, decide) = (seen.clone(), settled.clone(), decide.clone());
                async move {
                    let i = u32::from_be_bytes(bytes.try_into().unwrap());
                    seen.lock().unwrap().entry(i).or_default().push(redelivered);
                    let (after, ack) = decide(i, redelivered);
                    tokio::time::sleep(after).await;
                    if ack != Ack::Requeue {
                        settled.fetch_add(1, Ordering::SeqCst);
                    }
                    ack
                }
            },
        ))
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while settled.load(Ordering::SeqCst) < n {
        assert!(Instant::now() < deadline, "not every envelope was settled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Whatever the broker still counts as unacked goes back to the queue when the consumer's
    // channel closes: what is left there after the stop was never acked.
    shutdown.cancel();
    consumer.await.unwrap();
    let left = ready(&ch, &topology.queue(Route::Deliveries)).await;
    let dead = ready(&ch, &topology.dead_queue()).await;
    topology.delete(&ch).await.unwrap();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    Run {
        seen,
        counts,
        dead,
        left,
    }
}

#[tokio::test]
async fn handlers_finishing_out_of_order_settle_every_envelope_once() {
    // Every 7th handler is slow (its neighbours finish first), every 25th rejects, every 40th
    // asks for a requeue the first time it is handed out.
    let n = 400;
    let r = run("order", n, |i, redelivered| {
        let after = Duration::from_millis(if i % 7 == 0 { 30 } else { (i % 3) as u64 });
        let ack = if i % 25 == 0 {
            Ack::Reject
        } else if i % 40 == 0 && !redelivered {
            Ack::Requeue
        } else {
            Ack::Ack
        };
        (after, ack)
    })
    .await;
    assert_eq!(r.left, 0, "envelopes left unacked in the queue");
    let rejected = (0..n).filter(|i| i % 25 == 0).count() as u32;
    assert_eq!(r.dead, rejected, "rejected envelopes dead-lettered");
    assert_eq!(r.seen.len(), n as usize);
    for (i, calls) in &r.seen {
        // Only the requeued ones come back, once; a wrong ack (a channel error) would have
        // handed out others again.
        let expected = if i % 40 == 0 && i % 25 != 0 { 2 } else { 1 };
        assert_eq!(calls.len(), expected, "envelope {i} handled {calls:?}");
    }
    let acked = r.counts.acked.load(Ordering::SeqCst);
    assert_eq!(acked, (n - rejected) as u64);
}

#[tokio::test]
async fn finished_runs_share_an_ack_frame() {
    let n = 300;
    let r = run("runs", n, |_, _| (Duration::ZERO, Ack::Ack)).await;
    assert_eq!(r.left, 0);
    let (acked, frames) = (
        r.counts.acked.load(Ordering::SeqCst),
        r.counts.frames.load(Ordering::SeqCst),
    );
    assert_eq!(acked, n as u64);
    assert!(
        frames * 2 <= acked,
        "{frames} ack frames for {acked} envelopes: not coalesced"
    );
}
