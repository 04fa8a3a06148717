use crate::helpers::*;
use hookd_testkit::Behavior;
use serde_json::json;
use std::time::Duration;

/// An endpoint that keeps failing is paused and probed instead of hammered, and gets every
/// message once it recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_endpoint_is_paused_then_probed() {
    let stack = TestStack::spawn_with(|s| {
        s.delivery.circuit_failures = 3;
        // Long enough that no probe slips in while a loaded machine is still putting the
        // first ten off (2 s let a fourth try through on a busy 2-core box).
        s.delivery.circuit_cooldown = Duration::from_secs(10);
        s.delivery.retry_schedule = vec![Duration::ZERO, Duration::from_millis(100)];
        s.delivery.per_endpoint_concurrency = 1;
    })
    .await;
    let f = stack.fixture().await;
    stack.receiver.set("/broken", Behavior::Status(500));
    let e = stack.endpoint(&f, "/broken", json!({})).await;
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(
            stack
                .send(&f, json!({"event_type": "user.created", "data": i}))
                .await
                .body["id"]
                .clone(),
        );
    }
    // Every message was handled once (tried, or put off by the open circuit)...
    let db = stack.db().await;
    let endpoint: uuid::Uuid = e["id"].as_str().unwrap().parse().unwrap();
    let mut settled = false;
    for _ in 0..400 {
        let queued: i64 = db
            .query_one(
                "SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND queued",
                &[&endpoint],
            )
            .await
            .unwrap()
            .get(0);
        let total: i64 = db
            .query_one(
                "SELECT count(*) FROM deliveries WHERE endpoint_id = $1",
                &[&endpoint],
            )
            .await
            .unwrap()
            .get(0);
        if total == 10 && queued == 0 {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        settled,
        "the ten deliveries were not all handled within 8 s"
    );
    // ...but only the tries before the circuit opened reached the endpoint.
    let tried = stack.receiver.received_at("/broken").len();
    assert_eq!(tried, 3, "the open circuit let {tried} tries through");
    let failing: bool = db
        .query_one(
            "SELECT failing_since IS NOT NULL FROM endpoints WHERE id = $1",
            &[&endpoint],
        )
        .await
        .unwrap()
        .get(0);
    assert!(failing);
    // It recovers: the probe succeeds and every message arrives.
    stack.receiver.set("/broken", Behavior::Status(200));
    for id in &ids {
        stack
            .eventually(
                &format!("/api/v1/messages/{}/deliveries", id.as_str().unwrap()),
                Duration::from_secs(30),
                |b| b["models"][0]["status"] == "succeeded",
            )
            .await;
    }
    let failing: bool = db
        .query_one(
            "SELECT failing_since IS NOT NULL FROM endpoints WHERE id = $1",
            &[&endpoint],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!failing, "a success ends the run of failures");
    stack.stop().await;
}

/// After sustained failure the endpoint is disabled and the reason is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sustained_failure_disables_the_endpoint() {
    let stack = TestStack::spawn_with(|s| {
        s.delivery.circuit_failures = 2;
        s.delivery.circuit_cooldown = Duration::from_millis(200);
        s.delivery.disable_after = Duration::from_millis(300);
        s.delivery.retry_schedule = vec![Duration::ZERO; 1]
            .into_iter()
            .chain(vec![Duration::from_millis(100); 30])
            .collect();
    })
    .await;
    let f = stack.fixture().await;
    stack.receiver.set("/dead", Behavior::Status(500));
    let e = stack.endpoint(&f, "/dead", json!({})).await;
    stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await;
    let path = format!(
        "/api/v1/subscriptions/{}/endpoints/{}",
        f.subscription_id,
        e["id"].as_str().unwrap()
    );
    let disabled = stack
        .eventually(&path, Duration::from_secs(30), |b| {
            b["status"] == "disabled"
        })
        .await;
    let reason = disabled["disabled_reason"].as_str().unwrap();
    assert!(reason.starts_with("every try failed since "), "{reason}");
    stack.stop().await;
}
