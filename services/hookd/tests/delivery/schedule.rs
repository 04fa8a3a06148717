//! The retry schedule as a receiver sees it: tries at least the configured delays apart, each
//! one signed anew; and a retry pending when the services stop happens after a restart.

use crate::helpers::*;
use hookd_testkit::Behavior;
use serde_json::{json, Value};
use std::time::Duration;

/// One second at least even jittered, so that consecutive tries carry different `webhook-timestamp`s (whole
/// seconds) and a new signature is visible as such.
const DELAYS: [Duration; 2] = [Duration::from_millis(1200), Duration::from_millis(1500)];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tries_are_spaced_by_the_schedule_and_each_is_signed_anew() {
    let stack = TestStack::spawn_with(|s| {
        s.delivery.retry_schedule = vec![Duration::ZERO, DELAYS[0], DELAYS[1]];
    })
    .await;
    let f = stack.fixture().await;
    stack.receiver.set(
        "/spaced",
        Behavior::FailFirst {
            times: 2,
            status: 500,
        },
    );
    let endpoint = stack.endpoint(&f, "/spaced", json!({})).await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await
        .body;
    let message_id = m["id"].as_str().unwrap();
    stack
        .eventually(
            &format!("/api/v1/messages/{message_id}/deliveries"),
            Duration::from_secs(30),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    let tries = stack.receiver.received_at("/spaced");
    assert_eq!(tries.len(), 3, "two failures and the success");

    // A lower bound only: the delay runs from the end of the previous try, less the worker's
    // jitter of at most 10% (services/delivery/src/retry.rs).
    for (i, pair) in tries.windows(2).enumerate() {
        let gap = pair[1].at - pair[0].at;
        let least = DELAYS[i].mul_f64(0.9);
        assert!(
            gap >= least,
            "try {} came {gap:?} after try {}, before {least:?} (its delay of {:?} jittered)",
            i + 2,
            i + 1,
            DELAYS[i]
        );
    }

    // Each try is signed at its own time: a replayed signature would be stale.
    let signed: Vec<(i64, String)> = tries
        .iter()
        .map(|t| {
            assert_eq!(t.header("webhook-id"), Some(message_id));
            let ts: i64 = t.header("webhook-timestamp").unwrap().parse().unwrap();
            let signature = t.header("webhook-signature").unwrap().to_owned();
            assert!(
                hookd_signing::verify(&secret, message_id, ts, &t.body, &signature),
                "try at {ts} does not verify"
            );
            (ts, signature)
        })
        .collect();
    for pair in signed.windows(2) {
        assert!(pair[1].0 > pair[0].0, "timestamps not renewed: {signed:?}");
        assert_ne!(pair[1].1, pair[0].1, "signature reused: {signed:?}");
    }
    // The attempts recorded agree with what the receiver saw.
    let attempts = stack
        .api
        .get(&format!(
            "/api/v1/deliveries/{}/attempts?dir=asc",
            deliveries(&stack, message_id).await[0]["id"]
                .as_str()
                .unwrap()
        ))
        .await
        .body;
    let statuses: Vec<Value> = attempts["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["response_status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!(500), json!(500), json!(200)]);
    stack.stop().await;
}

async fn deliveries(stack: &TestStack, message_id: &str) -> Vec<Value> {
    let r = stack
        .api
        .get(&format!("/api/v1/messages/{message_id}/deliveries"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["models"].as_array().unwrap().clone()
}

/// A failed try leaves its retry in the database: stopping every service gracefully and
/// starting new ones on the same database and broker names, the retry still happens.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_pending_across_a_restart_still_happens() {
    // Long enough that the retry cannot happen before the stop completes (checked below).
    let delay = Duration::from_secs(4);
    let mut first = TestStack::spawn_with(|s| {
        s.delivery.retry_schedule = vec![Duration::ZERO, delay];
    })
    .await;
    let f = first.fixture().await;
    first.receiver.set(
        "/restart",
        Behavior::FailFirst {
            times: 1,
            status: 503,
        },
    );
    first.endpoint(&f, "/restart", json!({})).await;
    let m = first
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await
        .body;
    let message_id = m["id"].as_str().unwrap().to_owned();
    first
        .eventually(
            &format!("/api/v1/messages/{message_id}/deliveries"),
            Duration::from_secs(15),
            |b| b["models"][0]["attempt_count"] == 1 && b["models"][0]["status"] == "pending",
        )
        .await;
    first.stop_services().await;

    // Stopped with the retry still ahead: one try received, the delivery pending in the table.
    assert_eq!(first.receiver.received_at("/restart").len(), 1);
    let db = first.db().await;
    let row = db
        .query_one(
            "SELECT status::text, attempt_count, next_attempt_at IS NOT NULL FROM deliveries",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0).as_str(), row.get::<_, i32>(1)),
        ("pending", 1),
        "the retry was not pending when the services stopped"
    );
    assert!(row.get::<_, bool>(2));

    // New services on the same database and broker names; the first stack's receiver stays.
    let second = TestStack::spawn_on(first.settings.clone()).await;
    let done = second
        .eventually(
            &format!("/api/v1/messages/{message_id}/deliveries"),
            Duration::from_secs(30),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    assert_eq!(done["models"][0]["attempt_count"], 2, "{done}");
    let tries = first.receiver.received_at("/restart");
    assert_eq!(tries.len(), 2);
    assert!(
        tries[1].at - tries[0].at >= delay.mul_f64(0.9),
        "retried before its delay"
    );
    assert!(tries
        .iter()
        .all(|t| t.header("webhook-id") == Some(message_id.as_str())));
    second.stop().await;
    drop(first);
}
