//! A fifo lane never goes past an older message of its app that is not routed yet: the router
//! took it late (its bus notification was lost, the relay sends it). The later message's
//! delivery waits in the lane until the older one is routed, then both go in send order.

use crate::fifo::arrivals;
use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lane_waits_for_an_older_message_routed_late() {
    let stack = TestStack::spawn_with(|s| s.router.relay_after = Duration::from_secs(4)).await;
    let f = stack.fixture().await;
    let endpoint = stack
        .endpoint(&f, "/late", json!({"ordering": "fifo"}))
        .await;
    let endpoint: uuid::Uuid = endpoint["id"].as_str().unwrap().parse().unwrap();
    let app: uuid::Uuid = f.app_id.parse().unwrap();
    let db = stack.db().await;
    // Stored as ingest stores it but never published: only the relay routes it, after 4 s.
    db.execute(
        "WITH m AS (
            INSERT INTO messages (id, app_id, event_type, version, data, created_at)
            VALUES ($1, $2, 'user.created', '1.0', '{\"seq\": 0}', now())
            RETURNING id, app_id, created_at
         )
         INSERT INTO message_outbox SELECT * FROM m",
        &[&uuid::Uuid::now_v7(), &app],
    )
    .await
    .unwrap();
    let later = stack
        .send(
            &f,
            json!({"event_type": "user.created", "data": {"seq": 1}}),
        )
        .await;
    assert_eq!(later.status, 202, "{}", later.text);
    let later: uuid::Uuid = later.body["id"].as_str().unwrap().parse().unwrap();
    // The later message is routed at once, and its delivery waits behind the unrouted one.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    loop {
        let waiting: Option<bool> = db
            .query_opt(
                "SELECT waiting FROM deliveries WHERE message_id = $1 AND endpoint_id = $2",
                &[&later, &endpoint],
            )
            .await
            .unwrap()
            .map(|r| r.get(0));
        if waiting.is_some() {
            assert_eq!(
                waiting,
                Some(true),
                "the lane went past an unrouted message"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the later message was not routed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        stack.receiver.received_at("/late").is_empty(),
        "sent before the older message was routed"
    );
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(20), |r| r.len() >= 2)
            .await,
        "the lane never moved on once the older message was routed"
    );
    assert_eq!(
        arrivals(&stack.receiver.received(), "/late")[""],
        vec![0, 1]
    );
    stack.stop().await;
}
