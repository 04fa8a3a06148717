//! What the operational webhook tests share: setting one up, counting what was emitted, and
//! reading what the receiver got, each webhook's signature verified.

use crate::helpers::*;
use bytes::Bytes;
use hookd_testkit::ApiClient;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// Sets the caller's operational webhook to the receiver at `path`; returns its secret.
pub async fn set_operational(
    stack: &TestStack,
    api: &ApiClient,
    path: &str,
    event_types: Option<&[&str]>,
) -> String {
    let mut body = json!({"url": stack.receiver.url(path)});
    if let Some(types) = event_types {
        body["event_types"] = json!(types);
    }
    let r = put(api, &body).await;
    let hook = created(r);
    let endpoint: Uuid = hook["endpoint_id"].as_str().unwrap().parse().unwrap();
    stack.wait_view(|v| v.endpoint(endpoint).is_some()).await;
    hook["secret"].as_str().unwrap().to_owned()
}

pub async fn put(api: &ApiClient, body: &Value) -> hookd_testkit::ApiResponse {
    api.raw(
        "PUT",
        "/api/v1/operational_webhook",
        Some(Bytes::from(body.to_string())),
        &[],
    )
    .await
}

/// Operational events stored for the organization, by type (what the triggers emitted).
pub async fn emitted(stack: &TestStack, organization_id: Uuid) -> HashMap<String, i64> {
    stack
        .db()
        .await
        .query(
            "SELECT m.event_type, count(*) FROM messages m JOIN apps a ON a.id = m.app_id
             WHERE a.operational AND a.organization_id = $1 GROUP BY m.event_type",
            &[&organization_id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Every operational event stored, whatever the organization.
pub async fn emitted_anywhere(stack: &TestStack) -> i64 {
    stack
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM messages m JOIN apps a ON a.id = m.app_id WHERE a.operational",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// The organization of an app.
pub async fn org_of(stack: &TestStack, app_id: &str) -> Uuid {
    let app: Uuid = app_id.parse().unwrap();
    stack
        .db()
        .await
        .query_one("SELECT organization_id FROM apps WHERE id = $1", &[&app])
        .await
        .unwrap()
        .get(0)
}

/// One operational webhook as received: its JSON body.
#[derive(Debug, Clone)]
pub struct Told {
    pub body: Value,
}

impl Told {
    pub fn kind(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

/// What the receiver got at `path`, one per `webhook-id` (a retry or a redelivery is the
/// same webhook), each signed by `secret` (asserted), in Svix's shape (asserted).
pub fn told(stack: &TestStack, path: &str, secret: &str) -> Vec<Told> {
    let mut seen = HashMap::new();
    for got in stack.receiver.received_at(path) {
        let id = got.header("webhook-id").expect("webhook-id").to_owned();
        let ts: i64 = got.header("webhook-timestamp").unwrap().parse().unwrap();
        let signature = got.header("webhook-signature").unwrap();
        assert!(
            hookd_signing::verify(secret, &id, ts, &got.body, signature),
            "an operational webhook not signed by its secret: {signature}"
        );
        let body = got.json();
        assert!(body["type"].is_string(), "{body}");
        assert!(
            body["timestamp"]
                .as_str()
                .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
            "{body}"
        );
        assert!(body["data"].is_object(), "{body}");
        seen.entry(id).or_insert(Told { body });
    }
    seen.into_values().collect()
}

/// Waits until the receiver got `want` (type → how many distinct webhooks) at `path`, then
/// returns what it got.
pub async fn wait_told(
    stack: &TestStack,
    path: &str,
    secret: &str,
    want: &[(&str, usize)],
) -> Vec<Told> {
    let complete = |got: &[Told]| {
        want.iter()
            .all(|(kind, n)| got.iter().filter(|t| t.kind() == *kind).count() >= *n)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(45);
    loop {
        let got = told(stack, path, secret);
        if complete(&got) {
            return got;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "operational webhooks {want:?} not all received at {path}: {:?}",
            got.iter().map(|t| t.body.clone()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The received webhooks of `kind`.
pub fn of<'a>(got: &'a [Told], kind: &str) -> Vec<&'a Told> {
    got.iter().filter(|t| t.kind() == kind).collect()
}
