use crate::helpers::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_send_rate_gets_429_with_retry_after() {
    let stack = TestStack::spawn_with(|s| {
        s.ratelimit.ingest_per_second = 1;
        s.ratelimit.ingest_burst = 3;
    })
    .await;
    let f = stack.fixture().await;
    let mut statuses = Vec::new();
    let mut last = None;
    for i in 0..6 {
        let r = stack
            .send(&f, json!({"event_type": "user.created", "data": i}))
            .await;
        statuses.push(r.status);
        last = Some(r);
    }
    assert_eq!(&statuses[..3], &[202, 202, 202], "{statuses:?}");
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    let limited = last.unwrap();
    assert_error(&limited, 429);
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(limited.headers.get("x-ratelimit-limit").unwrap(), "3");
    assert_eq!(limited.headers.get("x-ratelimit-remaining").unwrap(), "0");
    // Management routes have their own budget, and another key its own bucket.
    assert_eq!(stack.api.get("/api/v1/apps").await.status, 200);
    let other = stack
        .api
        .post("/api/v1/api_keys", &json!({"name": "other"}))
        .await;
    let other = stack.api.with_key(other.body["key"].as_str());
    let r = other
        .post(
            &format!("/api/v1/apps/{}/messages", f.app_id),
            &json!({"event_type": "user.created", "data": 1}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    // A refused send stored nothing.
    let listed = stack
        .api
        .get(&format!("/api/v1/apps/{}/messages", f.app_id))
        .await;
    assert_eq!(listed.body["count"], 4);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_are_not_limited_by_default_and_headers_show_the_management_budget() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    for i in 0..20 {
        let r = stack
            .send(&f, json!({"event_type": "user.created", "data": i}))
            .await;
        assert_eq!(r.status, 202);
        assert!(r.headers.get("x-ratelimit-limit").is_none());
    }
    let r = stack.api.get("/api/v1/apps").await;
    assert!(r.headers.get("x-ratelimit-remaining").is_some());
    stack.stop().await;
}
