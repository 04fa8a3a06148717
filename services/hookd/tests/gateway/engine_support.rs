//! What the engine suites share: posting to a source URL, connections with rules, and
//! bounded waits on the database.

use crate::helpers::*;
use crate::support::*;
use hookd_db::gateway::requests::NewRequest;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The path of a source URL (`/e/src_...`).
pub fn source_path(source: &Value, base: &str) -> String {
    source["url"]
        .as_str()
        .unwrap()
        .strip_prefix(base)
        .unwrap()
        .to_owned()
}

/// Posts `body` to the source's URL + `rest` (suffix and query) without an API key; asserts
/// the 200 and returns the request's UUID.
pub async fn inbound(
    stack: &TestStack,
    source: &Value,
    rest: &str,
    body: &[u8],
    headers: &[(&str, &str)],
) -> Uuid {
    let path = format!("{}{rest}", source_path(source, &stack.base));
    let r = stack
        .api
        .with_key(None)
        .raw("POST", &path, Some(body.to_vec().into()), headers)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    uuid_of(r.body["request_id"].as_str().unwrap())
}

/// The UUID of a prefixed id (`req_<hex>`).
pub fn uuid_of(id: &str) -> Uuid {
    Uuid::parse_str(&id[4..]).unwrap_or_else(|_| panic!("not an id: {id}"))
}

/// A connection from a new or existing source (by name) to a new destination.
pub async fn connect(
    stack: &TestStack,
    source: &str,
    name: &str,
    destination: Value,
    rules: Value,
) -> Value {
    let mut dest = destination;
    dest["name"] = json!(format!("{name}-dst"));
    ok(call(
        &stack.api,
        "POST",
        "/connections",
        Some(json!({
            "name": name,
            "source": {"name": source},
            "destination": dest,
            "rules": rules,
        })),
    )
    .await)
}

/// `(status, attempts, connection_id)` of a request's events, oldest connection first.
pub async fn events(stack: &TestStack, request: Uuid) -> Vec<(String, i32, Uuid)> {
    stack
        .db()
        .await
        .query(
            "SELECT e.status, e.attempts, e.connection_id FROM gw_events e
             JOIN gw_connections c ON c.id = e.connection_id
             WHERE e.request_id = $1 ORDER BY c.created_at",
            &[&request],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// `(trigger, status, response_status)` of an event's attempts, in order.
pub async fn attempts(stack: &TestStack, request: Uuid) -> Vec<(String, String, Option<i32>)> {
    stack
        .db()
        .await
        .query(
            "SELECT a.trigger, a.status, a.response_status FROM gw_attempts a
             JOIN gw_events e ON e.id = a.event_id
             WHERE e.request_id = $1 ORDER BY a.attempt_number",
            &[&request],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// Polls until `pred` holds over the request's events (15 s at most); returns them.
pub async fn wait_events(
    stack: &TestStack,
    request: Uuid,
    pred: impl Fn(&[(String, i32, Uuid)]) -> bool,
) -> Vec<(String, i32, Uuid)> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let got = events(stack, request).await;
        if pred(&got) {
            return got;
        }
        assert!(Instant::now() < deadline, "events never got there: {got:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the router has routed the request.
pub async fn wait_routed(stack: &TestStack, request: Uuid) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let row = stack
            .db()
            .await
            .query_one(
                "SELECT routed_at IS NOT NULL FROM gw_requests WHERE id = $1",
                &[&request],
            )
            .await
            .unwrap();
        if row.get::<_, bool>(0) {
            return;
        }
        assert!(Instant::now() < deadline, "the request was never routed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn count(db: &hookd_db::Client, sql: &str, id: Uuid) -> i64 {
    db.query_one(sql, &[&id]).await.unwrap().get(0)
}

/// A connection to the stack's receiver and one routed request through it.
pub async fn routed(stack: &TestStack, name: &str) -> (Value, Uuid) {
    let conn = connection(&stack.api, name, &stack.receiver.url(&format!("/{name}"))).await;
    let request = inbound(stack, &conn["source"], "", b"{\"a\":1}", &[]).await;
    wait_events(stack, request, |e| e.len() == 1).await;
    (conn, request)
}

/// `request` as a new one of its source, to store by hand.
pub fn stored_again(request: &hookd_db::gateway::requests::Request) -> NewRequest {
    let mut request = request.clone();
    request.id = Uuid::now_v7();
    NewRequest {
        request,
        body: b"{}".to_vec(),
        traceparent: None,
    }
}
