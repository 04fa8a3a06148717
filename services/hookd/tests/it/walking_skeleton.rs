use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_reaches_its_endpoint_once_signed() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let endpoint = stack
        .endpoint(
            &f,
            "/hook",
            json!({"version": "1.0", "headers": {"x-tenant": "acme"}}),
        )
        .await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));

    let r = stack
        .send(&f, json!({"event_type": "user.created", "data": {"note": "hi", "id": 123}, "event_id": "evt-1"}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let message_id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["version"], "1.0");

    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |got| !got.is_empty())
            .await,
        "nothing delivered"
    );
    // Give a duplicate a chance to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = stack.receiver.received_at("/hook");
    assert_eq!(got.len(), 1, "delivered {} times", got.len());
    let hook = &got[0];
    assert_eq!(hook.header("webhook-id"), Some(message_id.as_str()));
    assert_eq!(hook.header("content-type"), Some("application/json"));
    assert_eq!(hook.header("x-tenant"), Some("acme"));
    assert!(hook.header("user-agent").unwrap().starts_with("hookd/"));
    let ts: i64 = hook.header("webhook-timestamp").unwrap().parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
    let signature = hook.header("webhook-signature").unwrap();
    assert!(
        hookd_signing::verify(&secret, &message_id, ts, &hook.body, signature),
        "signature does not verify"
    );
    let body = hook.json();
    assert_eq!(body["id"], json!(message_id));
    assert_eq!(body["event_type"], "user.created");
    assert_eq!(body["event_id"], "evt-1");
    assert_eq!(body["data"], json!({"note": "hi", "id": 123}));

    // The attempt is recorded and the delivery succeeded.
    let deliveries = stack
        .eventually(
            &format!("/api/v1/messages/{message_id}/deliveries"),
            Duration::from_secs(5),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    assert_eq!(deliveries["count"], 1);
    assert_eq!(deliveries["models"][0]["attempt_count"], 1);
    let delivery_id = deliveries["models"][0]["id"].as_str().unwrap();
    let attempts = stack
        .api
        .get(&format!("/api/v1/deliveries/{delivery_id}/attempts"))
        .await;
    assert_eq!(attempts.body["count"], 1, "{}", attempts.text);
    assert_eq!(attempts.body["models"][0]["response_status"], 200);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_ready_and_metrics_answer_on_every_service() {
    let stack = TestStack::spawn().await;
    for base in [
        stack.base.clone(),
        format!("http://127.0.0.1:{}", stack.router_port),
        format!("http://127.0.0.1:{}", stack.delivery_port),
    ] {
        let client = hookd_testkit::ApiClient::new(base.clone(), None);
        assert_eq!(client.get("/healthz").await.status, 200, "{base}");
        let ready = client.get("/readyz").await;
        assert_eq!(ready.status, 200, "{base}: {}", ready.text);
        let metrics = client.get("/metrics").await;
        assert_eq!(metrics.status, 200);
        assert!(
            metrics.text.contains("hookd_"),
            "{base} exports no hookd metric: {}",
            metrics.text
        );
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_needs_a_key() {
    let stack = TestStack::spawn().await;
    let anonymous = stack.api.with_key(None);
    assert_error(&anonymous.get("/api/v1/apps").await, 401);
    assert_error(
        &stack.api.with_key(Some("nope")).get("/api/v1/apps").await,
        401,
    );
    assert_eq!(stack.api.get("/api/v1/apps").await.status, 200);
    stack.stop().await;
}
