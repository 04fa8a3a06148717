//! `Idempotency-Key` on creating POSTs (API.md): a repeat answers the first answer and makes
//! nothing; another body under the key is a 409 that changes nothing; keys are per
//! organization. And `X-Request-Id` on every answer.

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::{ApiClient, ApiResponse};
use serde_json::{json, Value};

async fn post_keyed(api: &ApiClient, path: &str, body: &Value, key: &str) -> ApiResponse {
    api.raw(
        "POST",
        path,
        Some(serde_json::to_vec(body).unwrap().into()),
        &[("idempotency-key", key)],
    )
    .await
}

async fn count(stack: &TestStack, sql: &str) -> i64 {
    stack.db().await.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_create_makes_one_task_and_answers_the_first_answer() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let path = format!("/api/v1/apps/{}/tasks", f.app_id);
    let body = json!({"event_type": "user.created", "data": {"n": 1},
                      "scheduled_run_time": "2099-01-01T00:00:00Z"});
    let first = post_keyed(&stack.api, &path, &body, "task-retry-1").await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = post_keyed(&stack.api, &path, &body, "task-retry-1").await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.body, first.body, "the first answer, not a new task");
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(count(&stack, "SELECT count(*) FROM tasks").await, 1);

    // Another body under the same key: 409, nothing made.
    let other = json!({"event_type": "user.created", "data": {"n": 2},
                       "scheduled_run_time": "2099-01-01T00:00:00Z"});
    let conflict = post_keyed(&stack.api, &path, &other, "task-retry-1").await;
    assert_error(&conflict, 409);
    assert_eq!(count(&stack, "SELECT count(*) FROM tasks").await, 1);

    // Without a key, or with another key, each POST creates.
    assert_eq!(stack.api.post(&path, &body).await.status, 201);
    assert_eq!(
        post_keyed(&stack.api, &path, &body, "task-retry-2")
            .await
            .status,
        201
    );
    assert_eq!(count(&stack, "SELECT count(*) FROM tasks").await, 3);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_belong_to_one_organization_and_errors_replay_too() {
    let stack = TestStack::spawn().await;
    let (_, other_org) = new_org(&stack).await;
    let body = json!({"name": "same-name"});
    let mine = post_keyed(&stack.api, "/api/v1/apps", &body, "app-1").await;
    assert_eq!(mine.status, 201, "{}", mine.text);
    // The other organization's same key and body is its own request.
    let theirs = post_keyed(&other_org, "/api/v1/apps", &body, "app-1").await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    assert_ne!(mine.body["id"], theirs.body["id"]);
    assert_eq!(count(&stack, "SELECT count(*) FROM apps").await, 2);

    // A 422 is an answer too: the same bad request under its key gets the same 422.
    let bad = json!({"name": ""});
    let first = post_keyed(&stack.api, "/api/v1/apps", &bad, "bad-app").await;
    assert_error(&first, 422);
    let again = post_keyed(&stack.api, "/api/v1/apps", &bad, "bad-app").await;
    assert_error(&again, 422);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(count(&stack, "SELECT count(*) FROM apps").await, 2);

    // A key that is no token is refused and changes nothing (not even a stored key).
    let before = stack.row_counts().await;
    let bad_key = post_keyed(
        &stack.api,
        "/api/v1/apps",
        &json!({"name": "x"}),
        "has space",
    )
    .await;
    assert_error(&bad_key, 422);
    assert_eq!(count(&stack, "SELECT count(*) FROM apps").await, 2);
    stack
        .assert_rows_unchanged(&before, &[], "a refused idempotency key")
        .await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_send_under_a_key_is_one_message() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let path = format!("/api/v1/apps/{}/messages", f.app_id);
    let body = json!({"event_type": "user.created", "data": {"id": 7}});
    let first = post_keyed(&stack.api, &path, &body, "send-7").await;
    assert_eq!(first.status, 202, "{}", first.text);
    let again = post_keyed(&stack.api, &path, &body, "send-7").await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(count(&stack, "SELECT count(*) FROM messages").await, 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id() {
    let stack = TestStack::spawn().await;
    let mine = stack
        .api
        .raw(
            "GET",
            "/api/v1/apps",
            None,
            &[("x-request-id", "trace-abc-123")],
        )
        .await;
    assert_eq!(mine.headers["x-request-id"], "trace-abc-123");
    let made = stack.api.get("/api/v1/apps").await;
    let a = made.headers["x-request-id"].to_str().unwrap().to_owned();
    let other = stack.api.with_key(None).get("/api/v1/apps").await;
    assert_eq!(other.status, 401);
    let b = other.headers["x-request-id"].to_str().unwrap().to_owned();
    assert!(a.len() >= 16 && b.len() >= 16 && a != b, "{a} {b}");
    // An id that could break a log line is replaced, not echoed.
    let odd = stack
        .api
        .raw("GET", "/healthz", None, &[("x-request-id", "a\tb")])
        .await;
    assert_ne!(odd.headers["x-request-id"], "a\tb");
    stack.stop().await;
}
