//! The router's job budget (issue 13): a fan-out wider than the budget goes in slices, each
//! waiting for the one before it, and still delivers every job once.

use crate::helpers::*;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fan_out_wider_than_the_budget_delivers_every_job_once() {
    // Room for four small jobs (each charged its payload and URL + the overhead): a slice
    // holds four, and the concurrent messages take turns with their slices.
    let budget = 5 * hookd_service::JOB_OVERHEAD_BYTES;
    let stack = TestStack::spawn_with(|s| s.router.publish_budget_bytes = budget).await;
    let f = stack.fixture().await;
    let endpoints = 12;
    for i in 0..endpoints {
        stack.endpoint(&f, &format!("/e{i}"), json!({})).await;
    }
    let messages = 6;
    let sends = (0..messages)
        .map(|i| stack.send(&f, json!({"event_type": "user.created", "data": {"i": i}})));
    for sent in futures_util::future::join_all(sends).await {
        assert_eq!(sent.status, 202, "{}", sent.text);
    }
    let all = endpoints * messages;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r.len() >= all)
            .await,
        "only {} of {all} delivered",
        stack.receiver.received().len()
    );
    // Late duplicates would arrive in this pause.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut per: HashMap<(String, String), usize> = HashMap::new();
    for got in stack.receiver.received() {
        let id = got.header("webhook-id").unwrap().to_owned();
        *per.entry((got.path.clone(), id)).or_default() += 1;
    }
    assert_eq!(per.len(), all, "each endpoint gets each message");
    assert!(per.values().all(|&n| n == 1), "a job went twice: {per:?}");
    let rows: i64 = stack
        .db()
        .await
        .query_one("SELECT count(*) FROM deliveries", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, all as i64);
    let metrics = hookd_testkit::scrape(stack.router_port).await;
    let published = hookd_testkit::metric_sum(&metrics, "hookd_router_jobs_published_total");
    assert_eq!(published as usize, all);
    // 12 jobs in slices of at most 4: at least three slices per message.
    let slices = hookd_testkit::metric_sum(&metrics, "hookd_router_publish_slices_total");
    assert!(
        slices as usize >= 3 * messages,
        "{slices} slices for {messages} fan-outs of {endpoints}"
    );
    stack.stop().await;
}
