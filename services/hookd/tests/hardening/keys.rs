use crate::helpers::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// Keys are cached by each ingest replica; deleting one through a replica makes every replica
/// refuse it (the deletion is NOTIFYed), not only the one that deleted it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_key_is_refused_by_every_replica() {
    let stack = TestStack::spawn().await;
    let second = hookd_ingest::Application::build(stack.settings.clone())
        .await
        .unwrap();
    let second_base = format!("http://127.0.0.1:{}", second.port());
    let token = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(second.run_until_stopped(token.clone()));

    let created = created(
        stack
            .api
            .post("/api/v1/api_keys", &json!({"name": "short-lived"}))
            .await,
    );
    let key = created["key"].as_str().unwrap();
    let on_second = hookd_testkit::ApiClient::new(second_base, Some(key));
    // The second replica now has the key cached.
    assert_eq!(on_second.get("/api/v1/apps").await.status, 200);
    assert_eq!(on_second.get("/api/v1/apps").await.status, 200);

    let r = stack
        .api
        .delete(&format!(
            "/api/v1/api_keys/{}",
            created["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_error(
        &stack.api.with_key(Some(key)).get("/api/v1/apps").await,
        401,
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = on_second.get("/api/v1/apps").await.status;
        if status == 401 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the second replica still accepts the deleted key"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    token.cancel();
    let _ = server.await;
    stack.stop().await;
}

/// The key is checked before anything else about the request: a bad key is a 401 even when
/// the path or the body is wrong too, so nobody without a key learns what exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_key_is_401_whatever_else_is_wrong() {
    let stack = TestStack::spawn().await;
    let stranger = stack.api.with_key(Some("hk_unknown"));
    assert_error(&stranger.get("/api/v1/apps/not-a-uuid").await, 401);
    assert_error(&stranger.get("/api/v1/no-such-route").await, 401);
    assert_error(
        &stranger
            .raw("POST", "/api/v1/apps", Some("not json".into()), &[])
            .await,
        401,
    );
    // The document stays public.
    assert_eq!(stranger.get("/api/v1/openapi.json").await.status, 200);
    assert_error(&stack.api.get("/api/v1/apps/not-a-uuid").await, 404);
    stack.stop().await;
}
