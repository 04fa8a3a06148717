//! A busy fifo lane moves on by its settler alone (issue 18, throughput): the fan-out leaves a
//! lane whose head is in flight to that head's settler (`lanes::idle`), so no message queued
//! behind a busy head may depend on the lane sweep. The sweep is made too slow to help here.

use crate::fifo::arrivals;
use crate::helpers::*;
use hookd_db::lanes::{idle, Lane};
use hookd_testkit::{metric_sum, scrape, Behavior, Gate};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_behind_a_busy_head_go_in_order_without_the_sweep() {
    let stack =
        TestStack::spawn_with(|s| s.router.sweep_interval = Duration::from_secs(3600)).await;
    let f = stack.fixture().await;
    let endpoint = stack
        .endpoint(&f, "/held", json!({"ordering": "fifo"}))
        .await;
    let gate = Gate::default();
    stack.receiver.set("/held", Behavior::Hold(gate.clone()));
    let send = |seq: i64| {
        stack.send(
            &f,
            json!({"event_type": "user.created", "data": {"seq": seq}}),
        )
    };
    assert_eq!(send(0).await.status, 202);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(20), |r| !r.is_empty())
            .await,
        "the head never reached the receiver"
    );
    let lane = Lane {
        endpoint_id: Uuid::parse_str(endpoint["id"].as_str().unwrap()).unwrap(),
        lane: hookd_domain::SHARED_LANE.to_owned(),
    };
    let db = stack.db().await;
    assert_eq!(
        idle(&db, std::slice::from_ref(&lane)).await.unwrap(),
        vec![],
        "a lane whose head is in flight was reported idle"
    );
    for seq in 1..10 {
        assert_eq!(send(seq).await.status, 202);
    }
    gate.open();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r.len() >= 10)
            .await,
        "the lane stalled behind its head: {:?}",
        arrivals(&stack.receiver.received(), "/held")
    );
    let got = arrivals(&stack.receiver.received(), "/held");
    assert_eq!(got[""], (0..10).collect::<Vec<i64>>());
    assert_eq!(
        metric_sum(
            &scrape(stack.router_port).await,
            "hookd_router_lane_sweep_promoted_total"
        ),
        0.0,
        "the sweep moved the lane, so the test shows nothing"
    );
    // Once the last one is recorded, nothing is in flight: the lane is idle again.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while idle(&db, std::slice::from_ref(&lane)).await.unwrap() != vec![lane.clone()] {
        assert!(
            std::time::Instant::now() < deadline,
            "the last delivery never settled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_endpoint_switched_to_none_releases_what_waits_behind_its_busy_head() {
    // The head stays in flight (held, and no timeout ends its try) for the whole test.
    let stack = TestStack::spawn_with(|s| s.delivery.timeout = Duration::from_secs(120)).await;
    let f = stack.fixture().await;
    let endpoint = stack
        .endpoint(&f, "/held", json!({"ordering": "fifo"}))
        .await;
    let gate = Gate::default();
    stack.receiver.set("/held", Behavior::Hold(gate.clone()));
    for seq in 0..5 {
        let r = stack
            .send(
                &f,
                json!({"event_type": "user.created", "data": {"seq": seq}}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(20), |r| !r.is_empty())
            .await
    );
    let path = format!(
        "/api/v1/subscriptions/{}/endpoints/{}",
        f.subscription_id,
        endpoint["id"].as_str().unwrap()
    );
    let r = stack.api.patch(&path, &json!({"ordering": "none"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The head is still held; the four behind it are now unordered and go (held too once they
    // reach the receiver, which records each request before it holds it).
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r.len() >= 5)
            .await,
        "the waiting deliveries were not released: {:?}",
        arrivals(&stack.receiver.received(), "/held")
    );
    gate.open();
    stack.stop().await;
}
