//! What the API suites share beyond the harness: ids, Basic auth, a second organization, and
//! a "world" holding one of every resource.

use crate::helpers::*;
use hookd_testkit::{ApiClient, ApiResponse};
use serde_json::{json, Value};
use std::time::Duration;

/// The `id` of a JSON model.
pub fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

/// Standard base64 (with padding), enough for a Basic auth header.
pub fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `Authorization: Basic` with the key as user name and an empty password.
pub fn basic(key: &str) -> String {
    format!("Basic {}", base64(format!("{key}:").as_bytes()))
}

/// A GET with a literal `Authorization` header and no Bearer key.
pub async fn get_with_auth(stack: &TestStack, path: &str, authorization: &str) -> ApiResponse {
    stack
        .api
        .with_key(None)
        .raw("GET", path, None, &[("authorization", authorization)])
        .await
}

/// A new organization (made by the admin key) and a client holding its key.
pub async fn new_org(stack: &TestStack) -> (Value, ApiClient) {
    let org = created(
        stack
            .api
            .post("/api/v1/organizations", &json!({"name": unique("org")}))
            .await,
    );
    let key = org["api_key"].as_str().expect("api_key").to_owned();
    let client = stack.api.with_key(Some(&key));
    (org, client)
}

/// Asserts a 200 and returns the body.
pub fn ok(r: ApiResponse) -> Value {
    assert_eq!(r.status, 200, "expected 200, got {}: {}", r.status, r.text);
    r.body
}

/// The ids of a list page, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["models"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {page}"))
        .iter()
        .map(id)
        .collect()
}

/// One of every resource of an organization, with a message delivered (a succeeded delivery
/// and its attempt), so that every route taking an id has something to point at.
pub struct World {
    pub app_id: String,
    pub event_type: String,
    pub subscription_id: String,
    pub endpoint_id: String,
    pub endpoint: Value,
    pub message_id: String,
    pub delivery_id: String,
    pub attempt_id: String,
    pub api_key_id: String,
}

impl World {
    pub async fn build(stack: &TestStack) -> Self {
        let f = stack.fixture().await;
        let endpoint = stack
            .endpoint(&f, &format!("/{}", unique("world")), json!({}))
            .await;
        let endpoint_id = id(&endpoint);
        let sent = stack
            .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
            .await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        let message_id = id(&sent.body);
        let deliveries = stack
            .eventually(
                &format!("/api/v1/messages/{message_id}/deliveries"),
                Duration::from_secs(15),
                |b| b["models"][0]["status"] == "succeeded",
            )
            .await;
        let delivery_id = id(&deliveries["models"][0]);
        let attempts = ok(stack
            .api
            .get(&format!("/api/v1/deliveries/{delivery_id}/attempts"))
            .await);
        let attempt_id = id(&attempts["models"][0]);
        let key = created(
            stack
                .api
                .post("/api/v1/api_keys", &json!({"name": unique("key")}))
                .await,
        );
        World {
            app_id: f.app_id,
            event_type: "user.created".into(),
            subscription_id: f.subscription_id,
            endpoint_id,
            endpoint,
            message_id,
            delivery_id,
            attempt_id,
            api_key_id: id(&key),
        }
    }
}

/// The `count` of a list route.
pub async fn count(stack: &TestStack, path: &str) -> u64 {
    ok(stack.api.get(path).await)["count"].as_u64().unwrap()
}

/// The RFC 3339 time of `v[field]`, parsed.
pub fn time(v: &Value, field: &str) -> chrono::DateTime<chrono::Utc> {
    v[field]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .unwrap_or_else(|| panic!("{field} is not an RFC 3339 time in {v}"))
        .with_timezone(&chrono::Utc)
}
