use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

/// With the production setting, a destination on loopback is refused: a failed attempt with a
/// clear error, and nothing reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn production_refuses_private_destinations() {
    let stack = TestStack::spawn_with(|s| {
        s.delivery.allow_private_networks = false;
        s.delivery.retry_schedule = vec![Duration::ZERO];
    })
    .await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/internal", json!({})).await;
    // A literal IP and a name resolving to loopback are both refused.
    let by_name = stack
        .receiver
        .url("/by-name")
        .replace("127.0.0.1", "localhost");
    created(
        stack
            .api
            .post(
                &format!("/api/v1/subscriptions/{}/endpoints", f.subscription_id),
                &json!({"url": by_name, "event_types": ["user.created"]}),
            )
            .await,
    );
    stack.wait_view(|v| v.len() == 2).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await
        .body;
    let path = format!("/api/v1/messages/{}/deliveries", m["id"].as_str().unwrap());
    let d = stack
        .eventually(&path, Duration::from_secs(10), |b| {
            b["count"] == 2
                && b["models"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|d| d["status"] == "failed")
        })
        .await;
    for delivery in d["models"].as_array().unwrap() {
        let a = stack
            .api
            .get(&format!(
                "/api/v1/deliveries/{}/attempts",
                delivery["id"].as_str().unwrap()
            ))
            .await;
        let error = a.body["models"][0]["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(error.contains("not allowed"), "unclear error: {error}");
    }
    assert!(
        stack.receiver.received().is_empty(),
        "a private destination was reached"
    );
    stack.stop().await;
}

/// An allow-listed subnet is reachable even in production.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_allow_list_opens_a_subnet() {
    let stack = TestStack::spawn_with(|s| {
        s.delivery.allow_private_networks = false;
        s.delivery.allowed_subnets = "127.0.0.0/8".into();
    })
    .await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/allowed", json!({})).await;
    stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |r| !r.is_empty())
            .await
    );
    stack.stop().await;
}

/// Endpoint secrets are sealed in the database and still sign deliveries.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn endpoint_secrets_are_sealed_at_rest() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let e = stack.endpoint(&f, "/sealed", json!({})).await;
    let secret = e["secret"].as_str().unwrap().to_owned();
    let stored: String = stack
        .db()
        .await
        .query_one(
            "SELECT secret FROM endpoints WHERE id = $1::text::uuid",
            &[&e["id"].as_str().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert!(stored.starts_with("enc:v2:"), "stored unsealed");
    assert!(!stored.contains(&secret["whsec_".len()..]));
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
    let got = &stack.receiver.received_at("/sealed")[0];
    let ts: i64 = got.header("webhook-timestamp").unwrap().parse().unwrap();
    assert!(hookd_signing::verify(
        &secret,
        m["id"].as_str().unwrap(),
        ts,
        &got.body,
        got.header("webhook-signature").unwrap()
    ));
    // The API shows the secret opened (from its own route).
    let shown = stack
        .api
        .get(&format!(
            "/api/v1/subscriptions/{}/endpoints/{}/secret",
            f.subscription_id,
            e["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(shown.body["secret"], json!(secret));
    stack.stop().await;
}
