//! The coalescer on the real broker: envelopes handed over together go out in few broker
//! messages, each exactly once; a lone one goes alone; a full queue refuses at once.

use hookd_bus::envelopes::MessageAccepted;
use hookd_bus::{Batchable, Coalescer, CoalescerLimits, Publisher, Route, Topology};
use lapin::options::{BasicAckOptions, BasicGetOptions};
use prost::Message;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn amqp_url() -> String {
    std::env::var("HOOKD_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn envelope(i: usize) -> MessageAccepted {
    MessageAccepted {
        message_id: format!("m{i}"),
        payload: vec![b'x'; 100],
        ..Default::default()
    }
}

struct Broker {
    topology: Topology,
    ch: lapin::Channel,
    publisher: Arc<Publisher>,
}

async fn broker(name: &str) -> Broker {
    let topology = Topology::new(format!("test.coalesce.{name}.{}.", uuid::Uuid::new_v4()));
    let conn = hookd_bus::connect(&amqp_url()).await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    topology.declare(&ch).await.unwrap();
    let publisher = Arc::new(
        Publisher::connect(&amqp_url(), topology.clone())
            .await
            .unwrap(),
    );
    Broker {
        topology,
        ch,
        publisher,
    }
}

/// Takes broker messages from the messages queue until `n` envelopes came; returns the
/// envelopes per broker message.
async fn take(b: &Broker, n: usize) -> Vec<Vec<MessageAccepted>> {
    let (mut got, mut count) = (Vec::new(), 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    let queue = b.topology.queue(Route::Messages);
    while count < n {
        assert!(
            Instant::now() < deadline,
            "only {count} of {n} envelopes arrived"
        );
        let Some(m) =
            b.ch.basic_get(queue.as_str().into(), BasicGetOptions::default())
                .await
                .unwrap()
        else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        m.delivery.ack(BasicAckOptions::default()).await.unwrap();
        let all = MessageAccepted::decode(m.delivery.data.as_slice())
            .unwrap()
            .unnest();
        count += all.len();
        got.push(all);
    }
    got
}

fn no_failure() -> hookd_bus::OnFailure<MessageAccepted> {
    Arc::new(|e, error| panic!("publish of {} failed: {error}", e.message_id))
}

#[tokio::test]
async fn envelopes_handed_over_together_share_broker_messages_and_arrive_once() {
    let b = broker("together").await;
    let limits = CoalescerLimits::default();
    let coalescer = Coalescer::start(b.publisher.clone(), Route::Messages, limits, no_failure());
    // On this single-threaded runtime the publishing task runs only once these are queued.
    for i in 0..500 {
        coalescer.offer(envelope(i)).unwrap();
    }
    let got = take(&b, 500).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in got.iter().flatten() {
        *seen.entry(e.message_id.clone()).or_default() += 1;
        assert_eq!(e.payload.len(), 100, "an envelope lost its payload");
    }
    assert_eq!(seen.len(), 500, "every envelope arrives");
    assert!(seen.values().all(|&c| c == 1), "none twice");
    assert!(
        got.iter().all(|batch| batch.len() <= limits.max_batch),
        "no broker message carries more than max_batch"
    );
    assert!(
        got.len() <= 500usize.div_ceil(limits.max_batch),
        "500 envelopes queued at once took {} broker messages",
        got.len()
    );
    b.topology.delete(&b.ch).await.unwrap();
}

#[tokio::test]
async fn a_lone_envelope_goes_at_once_and_alone() {
    let b = broker("lone").await;
    let coalescer = Coalescer::start(
        b.publisher.clone(),
        Route::Messages,
        CoalescerLimits::default(),
        no_failure(),
    );
    coalescer.offer(envelope(1)).unwrap();
    let got = take(&b, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].len(), 1);
    assert_eq!(got[0][0].message_id, "m1");
    b.topology.delete(&b.ch).await.unwrap();
}

#[tokio::test]
async fn a_full_queue_gives_the_envelope_back() {
    let b = broker("full").await;
    let limits = CoalescerLimits {
        queued: 2,
        ..CoalescerLimits::default()
    };
    let coalescer = Coalescer::start(b.publisher.clone(), Route::Messages, limits, no_failure());
    coalescer.offer(envelope(1)).unwrap();
    coalescer.offer(envelope(2)).unwrap();
    let refused = coalescer.offer(envelope(3)).unwrap_err();
    assert_eq!(refused.message_id, "m3", "the refused envelope comes back");
    let got = take(&b, 2).await;
    let ids: Vec<_> = got
        .iter()
        .flatten()
        .map(|e| e.message_id.as_str())
        .collect();
    assert_eq!(ids, ["m1", "m2"]);
    b.topology.delete(&b.ch).await.unwrap();
}

#[tokio::test]
async fn a_failed_publish_reports_every_envelope_it_carried() {
    let b = broker("failed").await;
    let failed = Arc::new(AtomicUsize::new(0));
    let on_failure: hookd_bus::OnFailure<MessageAccepted> = {
        let failed = failed.clone();
        Arc::new(move |_, _| {
            failed.fetch_add(1, Ordering::SeqCst);
        })
    };
    // The exchange is gone: the broker refuses the publish (and closes the channel).
    b.topology.delete(&b.ch).await.unwrap();
    let coalescer = Coalescer::start(
        b.publisher.clone(),
        Route::Messages,
        CoalescerLimits::default(),
        on_failure,
    );
    for i in 0..3 {
        coalescer.offer(envelope(i)).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while failed.load(Ordering::SeqCst) < 3 {
        assert!(Instant::now() < deadline, "failures were not reported");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(failed.load(Ordering::SeqCst), 3);
}
