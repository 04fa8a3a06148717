//! What the gateway suites share: calls with a JSON body on `/2024-03-01`, checks of the
//! error format, a second organization.

use crate::helpers::*;
use hookd_testkit::{ApiClient, ApiResponse};
use serde_json::{json, Value};

pub const BASE: &str = "/2024-03-01";

/// `METHOD /2024-03-01{path}` with a JSON body.
pub async fn call(api: &ApiClient, method: &str, path: &str, body: Option<Value>) -> ApiResponse {
    api.raw(
        method,
        &format!("{BASE}{path}"),
        body.map(|b| b.to_string().into()),
        &[],
    )
    .await
}

/// Asserts a 200 and returns the body.
pub fn ok(r: ApiResponse) -> Value {
    assert_eq!(r.status, 200, "expected 200, got {}: {}", r.status, r.text);
    r.body
}

/// Asserts GATEWAY.md's error format: `{handled, status, code, message, data}`.
pub fn gw_error(r: &ApiResponse, status: u16, code: &str) {
    assert_error(r, status);
    assert_eq!(r.body["code"], json!(code), "{}", r.text);
}

/// A client of a new organization.
pub async fn other_org(stack: &TestStack) -> ApiClient {
    let org = created(
        stack
            .api
            .post("/api/v1/organizations", &json!({"name": unique("org")}))
            .await,
    );
    stack
        .api
        .with_key(Some(org["api_key"].as_str().expect("api_key")))
}

pub fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
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

/// A connection made inline (source and destination by name), answered as created.
pub async fn connection(api: &ApiClient, name: &str, url: &str) -> Value {
    ok(call(
        api,
        "POST",
        "/connections",
        Some(json!({
            "name": name,
            "source": {"name": format!("{name}-src")},
            "destination": {"name": format!("{name}-dst"), "url": url},
        })),
    )
    .await)
}

/// Standard base64 (with padding).
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
