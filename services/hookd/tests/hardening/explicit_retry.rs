//! A retry someone asks for goes at once, past an open circuit, as its probe (issue 14, item
//! 8: a bulk retry behind an open circuit made no attempt for its whole cooldown).

use crate::helpers::*;
use hookd_testkit::Behavior;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_and_bulk_retries_probe_an_open_circuit_at_once() {
    // A cooldown far longer than the test may take: a retry that waited for it would time out.
    let stack = TestStack::spawn_with(|s| {
        s.delivery.circuit_failures = 2;
        s.delivery.circuit_cooldown = Duration::from_secs(600);
        s.delivery.retry_schedule = vec![Duration::ZERO];
        s.delivery.per_endpoint_concurrency = 1;
    })
    .await;
    let f = stack.fixture().await;
    stack.receiver.set("/fixed", Behavior::Status(500));
    let e = stack.endpoint(&f, "/fixed", json!({})).await;
    let endpoint_id = e["id"].as_str().unwrap().to_owned();
    let mut messages = Vec::new();
    for i in 0..4 {
        let sent = stack
            .send(&f, json!({"event_type": "user.created", "data": {"i": i}}))
            .await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        messages.push(sent.body["id"].as_str().unwrap().to_owned());
    }
    // Each is settled: failed after its tries, or (once the circuit opened) put off until the
    // cooldown ends. A `next_attempt_at` within the minute is a lease or a due retry, a try
    // that may be in flight (a retry then would rightly be a 409), so it does not count.
    let deliveries = |m: &str| format!("/api/v1/messages/{m}/deliveries");
    let put_off = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| t > chrono::Utc::now() + chrono::Duration::seconds(60))
    };
    for m in &messages {
        stack
            .eventually(&deliveries(m), Duration::from_secs(30), |b| {
                b["models"][0]["status"] == json!("failed")
                    || put_off(&b["models"][0]["next_attempt_at"])
            })
            .await;
    }
    let tried_before = stack.receiver.received_at("/fixed").len();
    assert!(
        tried_before >= 2,
        "the circuit opened after {tried_before} tries"
    );

    // The endpoint is fixed; a single retry goes now although the circuit is open for 10 min.
    stack.receiver.set("/fixed", Behavior::Status(200));
    let first = stack.api.get(&deliveries(&messages[0])).await.body["models"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let retried = stack
        .api
        .post(&format!("/api/v1/deliveries/{first}/retry"), &json!({}))
        .await;
    assert_eq!(retried.status, 202, "{}", retried.text);
    stack
        .eventually(&deliveries(&messages[0]), Duration::from_secs(60), |b| {
            b["models"][0]["status"] == json!("succeeded")
        })
        .await;

    // A bulk retry of the rest goes at once too.
    let bulk = stack
        .api
        .post(
            &format!("/api/v1/apps/{}/deliveries/retry", f.app_id),
            &json!({"endpoint_id": endpoint_id}),
        )
        .await;
    assert_eq!(bulk.status, 202, "{}", bulk.text);
    for m in &messages[1..] {
        stack
            .eventually(&deliveries(m), Duration::from_secs(60), |b| {
                b["models"][0]["status"] == json!("succeeded")
            })
            .await;
    }
    stack.stop().await;
}
