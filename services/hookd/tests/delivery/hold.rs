//! A capped endpoint's jobs: held in the worker up to a bound, the rest put off to their turn at
//! the endpoint's pace instead of being sent back every few seconds (issue 13, S4).

use crate::helpers::*;
use hookd_testkit::{Behavior, Gate};
use serde_json::json;
use std::time::Duration;

const CAP: i64 = 2;
/// `per_endpoint_concurrency` × 4 (the delivery service's hold bound per endpoint).
const HELD: i64 = CAP * 4;

/// (queued, put off) of the endpoint's pending deliveries.
async fn states(db: &hookd_db::Client, endpoint: uuid::Uuid) -> (i64, i64) {
    let row = db
        .query_one(
            "SELECT count(*) FILTER (WHERE queued), count(*) FILTER (WHERE NOT queued)
             FROM deliveries WHERE endpoint_id = $1 AND status = 'pending'",
            &[&endpoint],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_capped_endpoints_jobs_are_held_up_to_a_bound_and_the_rest_put_off_to_their_turn() {
    // Tries never time out here (the gate ends them), and the lease leaves the held jobs
    // 15 s (a quarter of it) to wait for a slot.
    let stack = TestStack::spawn_with(|s| {
        s.delivery.timeout = Duration::from_secs(600);
        s.delivery.lease = Duration::from_secs(60);
        s.delivery.per_endpoint_concurrency = CAP as usize;
    })
    .await;
    let f = stack.fixture().await;
    let gate = Gate::default();
    stack.receiver.set("/hang", Behavior::Hold(gate.clone()));
    let hang = stack.endpoint(&f, "/hang", json!({})).await;
    let hang: uuid::Uuid = hang["id"].as_str().unwrap().parse().unwrap();
    stack.endpoint(&f, "/fast", json!({})).await;
    let n: i64 = 30;
    for i in 0..n {
        let r = stack
            .send(&f, json!({"event_type": "user.created", "data": {"i": i}}))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    let all_fast = stack
        .receiver
        .wait_for(Duration::from_secs(60), |r| {
            r.iter().filter(|x| x.path == "/fast").count() as i64 >= n
        })
        .await;
    assert!(all_fast, "the hanging endpoint held the fast one back");

    // Past its cap and its hold bound, the hanging endpoint's jobs are put off...
    let db = stack.db().await;
    let mut seen = (0, 0);
    for _ in 0..500 {
        seen = states(&db, hang).await;
        if seen.1 >= n - CAP - HELD {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...while the ones within it stay queued: two in flight and eight held unacked.
    assert_eq!(
        seen,
        (CAP + HELD, n - CAP - HELD),
        "(queued, put off) of the hanging endpoint's deliveries"
    );
    // Each put off to its turn behind the backlog (no try has ended: a round is the timeout,
    // so the turns reach the 30 s limit), not sent back within seconds.
    let soon: i64 = db
        .query_one(
            "SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND NOT queued
               AND next_attempt_at < updated_at + interval '20 seconds'",
            &[&hang],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(soon, 0, "jobs put off for less than their turn");

    // The endpoint answers: the tries in flight end, and the held jobs take the slots they
    // free at once; those put off wait for their turn.
    gate.open();
    let held_sent = stack
        .receiver
        .wait_for(Duration::from_secs(10), |r| {
            r.iter().filter(|x| x.path == "/hang").count() as i64 >= CAP + HELD
        })
        .await;
    assert!(
        held_sent,
        "the held jobs were not sent when slots freed: {} tries",
        stack.receiver.received_at("/hang").len()
    );
    let mut left = seen;
    for _ in 0..500 {
        left = states(&db, hang).await;
        if left.0 == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        left,
        (0, n - CAP - HELD),
        "(queued, put off) after the gate opened"
    );
    assert_eq!(
        stack.receiver.received_at("/hang").len() as i64,
        CAP + HELD,
        "a job put off to its turn was sent early"
    );
    stack.stop().await;
}
