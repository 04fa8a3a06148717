//! Plans: an organization's quotas (none by default) and payload retention, set by the admin
//! key; past a quota, a clear 429 (messages per day) or 422 (apps, endpoints) naming it, and
//! nothing created.

use crate::helpers::*;
use crate::support::*;
use serde_json::{json, Value};
use uuid::Uuid;

fn assert_quota(r: &hookd_testkit::ApiResponse, status: u16, quota: &str, limit: i64) {
    assert_error(r, status);
    assert_eq!(r.body["data"]["quota"], quota, "{}", r.text);
    assert_eq!(r.body["data"]["limit"], limit, "{}", r.text);
    assert!(
        r.body["message"].as_str().unwrap().contains(quota),
        "{}",
        r.text
    );
}

async fn send(b: &hookd_testkit::ApiClient, app_id: &str) -> hookd_testkit::ApiResponse {
    b.post(
        &format!("/api/v1/apps/{app_id}/messages"),
        &json!({"event_type": "user.created", "data": {}}),
    )
    .await
}

async fn count(stack: &TestStack, sql: &str, org: Uuid) -> i64 {
    stack
        .db()
        .await
        .query_one(sql, &[&org])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_refuse_what_is_past_the_plan_and_name_the_quota() {
    let stack = TestStack::spawn().await;
    let (org_id, b) = new_org(&stack, "plan").await;
    let path = format!("/api/v1/organizations/{org_id}");

    // Unlimited, default retention, until the admin says otherwise.
    let read = stack.api.get(&path).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        read.body["quotas"],
        json!({"messages_per_day": null, "endpoints": null, "apps": null})
    );
    assert_eq!(read.body["payload_retention_days"], Value::Null);
    assert_eq!(read.body["deleting_at"], Value::Null);

    // Only the admin key sets a plan; bad values change nothing.
    assert_error(&b.patch(&path, &json!({"quotas": {"apps": 1}})).await, 403);
    assert_error(&b.get(&path).await, 403);
    for bad in [
        json!({"payload_retention_days": 0}),
        json!({"payload_retention_days": 36501}),
        json!({"quotas": {"apps": -1}}),
        json!({"quotas": {"messages_per_day": 3000000000i64}}),
    ] {
        let r = stack.api.patch(&path, &bad).await;
        assert_error(&r, 422);
        assert!(r.body["data"]["field"].is_string(), "{}", r.text);
    }
    assert_eq!(stack.api.get(&path).await.body, read.body);
    assert_error(
        &stack
            .api
            .patch(
                &format!("/api/v1/organizations/{}", Uuid::new_v4()),
                &json!({"quotas": {"apps": 1}}),
            )
            .await,
        404,
    );

    let set = stack
        .api
        .patch(
            &path,
            &json!({"payload_retention_days": 7,
                    "quotas": {"apps": 1, "endpoints": 1, "messages_per_day": 2}}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(
        set.body["quotas"],
        json!({"messages_per_day": 2, "endpoints": 1, "apps": 1})
    );
    assert_eq!(set.body["payload_retention_days"], 7);
    assert_eq!(stack.api.get(&path).await.body, set.body);
    let listed = stack.api.get("/api/v1/organizations").await;
    let model = listed.body["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == org_id.to_string())
        .cloned()
        .unwrap();
    assert_eq!(model, set.body);

    // Apps: one, then 422 naming the quota, and no second app.
    let app = created(b.post("/api/v1/apps", &json!({"name": "one"})).await);
    let app_id = app["id"].as_str().unwrap();
    assert_quota(
        &b.post("/api/v1/apps", &json!({"name": "two"})).await,
        422,
        "apps",
        1,
    );
    let apps = "SELECT count(*) FROM apps WHERE organization_id = $1";
    assert_eq!(count(&stack, apps, org_id).await, 1);

    // Endpoints, across the organization.
    let sub_id = subscribed(&b, app_id).await;
    let endpoints = format!("/api/v1/subscriptions/{sub_id}/endpoints");
    let body = json!({"url": stack.receiver.url("/q"), "event_types": ["user.created"]});
    created(b.post(&endpoints, &body).await);
    assert_quota(&b.post(&endpoints, &body).await, 422, "endpoints", 1);
    let endpoint_rows = "SELECT count(*) FROM endpoints n JOIN apps a ON a.id = n.app_id
                         WHERE a.organization_id = $1";
    assert_eq!(count(&stack, endpoint_rows, org_id).await, 1);

    // Messages per day: two, then 429 until the next UTC day, and no third message.
    for _ in 0..2 {
        let r = send(&b, app_id).await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    let refused = send(&b, app_id).await;
    assert_quota(&refused, 429, "messages_per_day", 2);
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&retry_after), "{retry_after}");
    let messages = "SELECT count(*) FROM messages m JOIN apps a ON a.id = m.app_id
                    WHERE a.organization_id = $1";
    assert_eq!(count(&stack, messages, org_id).await, 2);
    // The refused one was not counted.
    let usage = "SELECT COALESCE(sum(messages), 0)::bigint FROM organization_usage
                 WHERE organization_id = $1";
    assert_eq!(count(&stack, usage, org_id).await, 2);

    // The admin's own organization has no limits: its sends are not affected.
    let f = stack.fixture().await;
    let r = stack
        .send(&f, json!({"event_type": "user.created", "data": {}}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);

    // Lifting the limit (null) takes effect at once.
    let lifted = stack
        .api
        .patch(&path, &json!({"quotas": {"messages_per_day": null}}))
        .await;
    assert_eq!(lifted.status, 200, "{}", lifted.text);
    assert_eq!(
        lifted.body["quotas"],
        json!({"messages_per_day": null, "endpoints": 1, "apps": 1})
    );
    assert_eq!(lifted.body["payload_retention_days"], 7, "left as it was");
    let r = send(&b, app_id).await;
    assert_eq!(r.status, 202, "{}", r.text);
    stack.stop().await;
}
