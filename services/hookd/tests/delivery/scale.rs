use crate::helpers::*;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Two routers and two delivery workers side by side: no duplicate fan-out, no double sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_routers_and_two_workers_send_each_message_once() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/a", json!({})).await;
    stack.endpoint(&f, "/b", json!({})).await;
    let token = CancellationToken::new();
    let router = hookd_router::Router::build(stack.settings.clone())
        .await
        .unwrap();
    let view = router.view();
    let worker = hookd_delivery::DeliveryWorker::build(stack.settings.clone())
        .await
        .unwrap();
    let (router_port, worker_port) = (router.port(), worker.port());
    let r = tokio::spawn(router.run_until_stopped(token.clone()));
    let w = tokio::spawn(worker.run_until_stopped(token.clone()));
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while view.snapshot().len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the second router never saw both endpoints"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let n = 150;
    for i in 0..n {
        assert_eq!(
            stack
                .send(&f, json!({"event_type": "user.created", "data": {"i": i}}))
                .await
                .status,
            202
        );
    }
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r.len() >= 2 * n)
            .await,
        "only {} of {} delivered",
        stack.receiver.received().len(),
        2 * n
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut per: HashMap<(String, String), usize> = HashMap::new();
    for got in stack.receiver.received() {
        *per.entry((
            got.path.clone(),
            got.header("webhook-id").unwrap().to_owned(),
        ))
        .or_default() += 1;
    }
    assert_eq!(per.len(), 2 * n);
    let duplicates: usize = per.values().map(|c| c - 1).sum();
    assert_eq!(duplicates, 0, "without crashes nothing is sent twice");
    let client = stack.db().await;
    let rows: i64 = client
        .query_one("SELECT count(*) FROM deliveries", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 2 * n as i64, "fan-out recorded a delivery twice");
    // The claim is about two replicas: each of the second pair did part of the work (the broker
    // hands a queue's messages round-robin to its consumers).
    let routed = hookd_testkit::metric_sum(
        &hookd_testkit::scrape(router_port).await,
        "hookd_router_messages_routed_total",
    );
    let sent = hookd_testkit::metric_sum(
        &hookd_testkit::scrape(worker_port).await,
        "hookd_delivery_attempts_total",
    );
    assert!(
        routed > 0.0 && routed < n as f64,
        "second router routed {routed} of {n}"
    );
    assert!(
        sent > 0.0 && sent < 2.0 * n as f64,
        "second worker tried {sent} of {}",
        2 * n
    );
    token.cancel();
    let _ = r.await;
    let _ = w.await;
    stack.stop().await;
}
