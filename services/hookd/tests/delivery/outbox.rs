use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

/// Ingest dies after its commit and before its publish: the relay sends the message anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stored_message_never_published_is_relayed() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/relayed", json!({})).await;
    let client = stack.db().await;
    let id = uuid::Uuid::now_v7();
    let app: uuid::Uuid = f.app_id.parse().unwrap();
    client
        .execute(
            "INSERT INTO messages (id, app_id, event_type, version, data, created_at)
             VALUES ($1, $2, 'user.created', '1.0', '{\"lost\": true}', now() - interval '1 minute')",
            &[&id, &app],
        )
        .await
        .unwrap();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |r| !r.is_empty())
            .await,
        "never relayed"
    );
    let got = stack.receiver.received_at("/relayed");
    assert_eq!(got[0].header("webhook-id"), Some(id.to_string().as_str()));
    assert_eq!(got[0].json()["data"], json!({"lost": true}));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        stack.receiver.received_at("/relayed").len(),
        1,
        "relayed more than once"
    );
    stack.stop().await;
}

/// A job lost after its delivery was recorded (router or broker crashed) is sent again when
/// its lease runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_job_is_sent_again_when_its_lease_runs_out() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let e = stack.endpoint(&f, "/leased", json!({})).await;
    let client = stack.db().await;
    let (message, delivery) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let app: uuid::Uuid = f.app_id.parse().unwrap();
    let endpoint: uuid::Uuid = e["id"].as_str().unwrap().parse().unwrap();
    client
        .execute(
            "INSERT INTO messages (id, app_id, event_type, version, data, created_at, routed_at)
             VALUES ($1, $2, 'user.created', '1.0', '7', now(), now())",
            &[&message, &app],
        )
        .await
        .unwrap();
    // Leased, as the router leaves it just before publishing; the lease already ran out.
    client
        .execute(
            "INSERT INTO deliveries (id, message_id, endpoint_id, app_id, event_type, queued, next_attempt_at)
             VALUES ($1, $2, $3, $4, 'user.created', true, now() - interval '1 second')",
            &[&delivery, &message, &endpoint, &app],
        )
        .await
        .unwrap();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |r| !r.is_empty())
            .await,
        "never resent"
    );
    let d = stack
        .eventually(
            &format!("/api/v1/messages/{message}/deliveries"),
            Duration::from_secs(5),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    assert_eq!(d["models"][0]["attempt_count"], 1);
    stack.stop().await;
}
