//! The receiver against real HTTP requests: counts, duplicates, behaviours.

use super::*;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

async fn try_post(url: &str, body: String) -> Option<u16> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = Request::post(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    Some(client.request(req).await.ok()?.status().as_u16())
}

async fn post(url: &str, body: String) -> u16 {
    try_post(url, body).await.expect("receiver answers")
}

fn webhook(seq: u64, sent_at_us: u64) -> String {
    // The shape hookd delivers: the generator's fields sit in `data`.
    format!(
        r#"{{"id":"m","event_type":"bench.event","version":"1.0","event_id":null,"created_at":"2026-11-23T00:00:00Z","data":{{"seq":{seq},"sent_at_us":{sent_at_us}}}}}"#
    )
}

fn spec(path: &str, behavior: Behavior, capacity: usize) -> EndpointSpec {
    EndpointSpec {
        path: path.into(),
        behavior,
        capacity,
    }
}

#[tokio::test]
async fn counts_duplicates_and_missing() {
    let r = Receiver::start(&[spec("/a", Behavior::Ok, 10), spec("/b", Behavior::Ok, 10)])
        .await
        .unwrap();
    let sent = unix_micros();
    // /a gets 0, 1, 2, 2 (a duplicate), 4, 4, 4 (two more): 3 is the gap.
    for seq in [0, 1, 2, 2, 4, 4, 4] {
        assert_eq!(post(&r.url("/a"), webhook(seq, sent)).await, 200);
    }
    // /b gets 9 (not accepted by ingest), 20 (beyond its range) and junk.
    assert_eq!(post(&r.url("/b"), webhook(9, sent)).await, 200);
    assert_eq!(post(&r.url("/b"), webhook(20, sent)).await, 200);
    assert_eq!(post(&r.url("/b"), "{}".into()).await, 200);
    assert_eq!(post(&r.url("/nope"), webhook(0, sent)).await, 404);

    let expected: Vec<bool> = (0..10).map(|s| s < 5).collect(); // 0..=4 accepted
    let a = r.report("/a", &expected);
    assert_eq!(a.requests, 7);
    assert_eq!(a.delivered, 4);
    assert_eq!(a.duplicates, 3);
    assert_eq!(a.missing, 1);
    assert_eq!(a.unexpected, 0);
    assert_eq!(a.latencies_us.len(), 4);
    assert!(a.first_arrival_us.unwrap() <= a.last_arrival_us.unwrap());
    assert_eq!(r.unique("/a"), 4);

    let b = r.report("/b", &expected);
    assert_eq!(b.delivered, 0);
    assert_eq!(b.missing, 5);
    assert_eq!(b.duplicates, 0);
    assert_eq!(b.unexpected, 3); // 9 not expected, 20 out of range, `{}` unparseable
    assert_eq!(r.unknown_path(), 1);
    r.stop().await;
}

#[tokio::test]
async fn latency_is_arrival_minus_sent_at() {
    let r = Receiver::start(&[spec("/a", Behavior::Ok, 2)])
        .await
        .unwrap();
    let sent = unix_micros() - 250_000; // sent a quarter second ago
    post(&r.url("/a"), webhook(1, sent)).await;
    let rep = r.report("/a", &[false, true]);
    assert_eq!(rep.delivered, 1);
    assert_eq!(rep.missing, 0);
    assert!(rep.latencies_us[0] >= 250_000, "{:?}", rep.latencies_us);
    assert!(rep.latencies_us[0] < 60_000_000);
}

#[tokio::test]
async fn fails_for_a_period_after_the_clock_starts() {
    let r = Receiver::start(&[
        spec("/long", Behavior::FailFor(Duration::from_secs(60)), 4),
        spec("/short", Behavior::FailFor(Duration::from_secs(5)), 4),
    ])
    .await
    .unwrap();
    let sent = unix_micros();
    // Before the clock starts (set-up, warm-up) every endpoint answers 200.
    let warmup = r#"{"data":{"warmup":true}}"#.to_string();
    assert_eq!(post(&r.url("/long"), warmup).await, 200);
    // The load began 10 s ago: /long still fails, /short has recovered.
    r.start_clock_at(unix_micros() - 10_000_000);
    assert_eq!(post(&r.url("/long"), webhook(0, sent)).await, 500);
    assert_eq!(post(&r.url("/short"), webhook(0, sent)).await, 200);
    let long = r.report("/long", &[true, true, false, false]);
    assert_eq!(long.requests, 2);
    assert_eq!(long.warmups, 1);
    assert_eq!(long.delivered, 0); // a 500 is not a delivery
    assert_eq!(long.missing, 2);
    let short = r.report("/short", &[true, true, false, false]);
    assert_eq!(
        (short.delivered, short.duplicates, short.missing),
        (1, 0, 1)
    );
}

#[tokio::test]
async fn hanging_endpoint_holds_until_stopped_and_records_nothing() {
    let r = Receiver::start(&[spec("/h", Behavior::Hang, 1)])
        .await
        .unwrap();
    let url = r.url("/h");
    let pending = tokio::spawn(async move { try_post(&url, webhook(0, unix_micros())).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!pending.is_finished());
    assert_eq!(r.requests("/h"), 1);
    assert_eq!(r.report("/h", &[true]).missing, 1);
    r.stop().await;
    // The connection is closed: the request ends (with an error or a 503), not after 300 s.
    let _ = tokio::time::timeout(Duration::from_secs(5), pending)
        .await
        .expect("the hanging request ends when the receiver stops");
}

#[tokio::test]
async fn ranks_first_arrivals_in_arrival_order_with_their_message_ids() {
    let r = Receiver::start(&[spec("/a", Behavior::Ok, 4)])
        .await
        .unwrap();
    let sent = unix_micros();
    let id = |n: u8| format!("01938c2e-7d1a-7000-8000-0000000000{n:02x}");
    // 2 comes first, then 0, a duplicate of 2 (not its first arrival), then 1; 3 never.
    for (seq, n) in [(2, 1), (0, 2), (2, 3), (1, 4)] {
        let body = webhook(seq, sent).replace(r#""id":"m""#, &format!(r#""id":"{}""#, id(n)));
        assert_eq!(post(&r.url("/a"), body).await, 200);
    }
    let rep = r.report("/a", &[true; 4]);
    assert_eq!(rep.latency_seqs, vec![0, 1, 2]);
    // Ranks follow arrivals: 0 came second, 1 fourth, 2 first; the duplicate kept its first.
    assert_eq!(rep.arrival_ranks, vec![1, 3, 0]);
    let base = 0x01938c2e_7d1a_7000_8000_000000000000_u128;
    assert_eq!(rep.message_ids, vec![base + 2, base + 4, base + 1]);
    // A body without a UUID id (the generator's own) records 0.
    post(&r.url("/a"), webhook(3, sent)).await;
    assert_eq!(r.report("/a", &[true; 4]).message_ids[3], 0);
}

#[tokio::test]
async fn answers_no_earlier_than_the_time_asked() {
    // Only the lower bound is asserted: how much later it answers depends on the machine's load
    // (BENCHMARKS.md has the measurement of the blocking wait against tokio's timer).
    let r = Receiver::start(&[spec("/a", Behavior::After(Duration::from_millis(1)), 64)])
        .await
        .unwrap();
    for seq in 0..8 {
        let t = std::time::Instant::now();
        assert_eq!(post(&r.url("/a"), webhook(seq, unix_micros())).await, 200);
        assert!(t.elapsed() >= Duration::from_millis(1), "{:?}", t.elapsed());
    }
}
