use crate::helpers::*;
use hookd_testkit::Behavior;
use serde_json::json;
use std::time::Duration;

/// Stopping the services lets a try in flight finish and be recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_lets_tries_in_flight_finish() {
    let mut stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack
        .receiver
        .set("/slowish", Behavior::Delay(Duration::from_millis(800)));
    stack.endpoint(&f, "/slowish", json!({})).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await
        .body;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |r| !r.is_empty())
            .await
    );
    // The receiver has the request and holds its answer for 800 ms: the try is in flight, and
    // the delivery is not recorded yet. Prove it, then stop everything.
    let db = stack.db().await;
    let before = db
        .query_one(
            "SELECT status FROM deliveries WHERE message_id = $1::text::uuid",
            &[&m["id"].as_str().unwrap()],
        )
        .await
        .unwrap();
    assert_ne!(
        before.get::<_, String>(0),
        "succeeded",
        "the try ended before the stop"
    );
    stack.stop_services().await;
    let row = db
        .query_one(
            "SELECT status, attempt_count FROM deliveries WHERE message_id = $1::text::uuid",
            &[&m["id"].as_str().unwrap()],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "succeeded");
    assert_eq!(row.get::<_, i32>(1), 1);
}
