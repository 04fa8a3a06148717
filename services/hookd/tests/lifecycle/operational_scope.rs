//! Operational webhooks' reach and their API: an organization without one is told nothing,
//! another organization's transitions never reach it, its own endpoint's failures tell nobody
//! (no loop), and the configuration is read, changed and removed like Svix users expect.

use crate::helpers::*;
use crate::operational_support::*;
use crate::support::{new_org, subscribed};
use hookd_testkit::{ApiClient, Behavior};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// An endpoint of a new app of `api`'s organization at `path`, sent one message; waits until
/// hookd disabled it (the receiver answers 410 there). Returns the endpoint's id.
async fn disabled_by_gone(stack: &TestStack, api: &ApiClient, path: &str) -> String {
    stack.receiver.set(path, Behavior::Status(410));
    let app = created(
        api.post("/api/v1/apps", &json!({"name": unique("app")}))
            .await,
    );
    let app_id = app["id"].as_str().unwrap();
    let sub = subscribed(api, app_id).await;
    let endpoint = created(
        api.post(
            &format!("/api/v1/subscriptions/{sub}/endpoints"),
            &json!({"url": stack.receiver.url(path), "event_types": ["user.created"]}),
        )
        .await,
    );
    let id = endpoint["id"].as_str().unwrap().to_owned();
    let uuid: Uuid = id.parse().unwrap();
    stack.wait_view(|v| v.endpoint(uuid).is_some()).await;
    let sent = api
        .post(
            &format!("/api/v1/apps/{app_id}/messages"),
            &json!({"event_type": "user.created", "data": {}}),
        )
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let e = api
            .get(&format!("/api/v1/subscriptions/{sub}/endpoints/{id}"))
            .await;
        if e.body["status"] == "disabled" {
            return id;
        }
        assert!(std::time::Instant::now() < deadline, "{path} not disabled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unconfigured_and_other_organizations_and_its_own_failures_tell_nobody() {
    let stack = TestStack::spawn().await;
    let (org_b, b) = new_org(&stack, "b").await;
    // B has no operational webhook: its endpoint's disabling is stored for nobody.
    disabled_by_gone(&stack, &b, "/b-gone").await;
    assert_eq!(emitted_anywhere(&stack).await, 0);

    // A has one, whose own URL answers 410.
    let (org_a, a) = new_org(&stack, "a").await;
    stack.receiver.set("/ops-a", Behavior::Status(410));
    let secret = set_operational(&stack, &a, "/ops-a", None).await;
    // B's transitions still reach nobody.
    disabled_by_gone(&stack, &b, "/b-gone-2").await;
    assert_eq!(
        emitted_anywhere(&stack).await,
        0,
        "B's events went somewhere"
    );
    // A's do, once; the operational endpoint's 410 disables it, and that is told to nobody.
    let a_endpoint = disabled_by_gone(&stack, &a, "/a-gone").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let hook = a.get("/api/v1/operational_webhook").await;
        if hook.body["status"] == "disabled" {
            assert_eq!(
                hook.body["disabled_reason"],
                "the endpoint answered 410 Gone"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{}", hook.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let counts = emitted(&stack, org_a).await;
    assert_eq!(counts.get("endpoint.disabled"), Some(&1), "{counts:?}");
    // A's endpoint's delivery ran out of tries on the 410 too.
    assert_eq!(counts.get("delivery.exhausted"), Some(&1), "{counts:?}");
    assert_eq!(counts.len(), 2, "its own failure told: {counts:?}");
    assert!(emitted(&stack, org_b).await.is_empty());
    let got = told(&stack, "/ops-a", &secret);
    assert!(!got.is_empty(), "the operational URL was tried");
    for t in &got {
        assert_eq!(
            t.body["data"]["endpoint_id"],
            a_endpoint.as_str(),
            "{}",
            t.body
        );
    }
    // A PUT enables it again (and tells nothing: its own transitions are hookd's).
    let again = put(&a, &json!({"url": stack.receiver.url("/ops-a")})).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["status"], "enabled");
    assert_eq!(emitted(&stack, org_a).await.len(), 2);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_is_set_read_rotated_and_removed() {
    let stack = TestStack::spawn().await;
    let (_, a) = new_org(&stack, "a").await;
    assert_error(&a.get("/api/v1/operational_webhook").await, 404);
    assert_error(&a.get("/api/v1/operational_webhook/secret").await, 404);
    assert_error(&a.delete("/api/v1/operational_webhook").await, 404);
    // Bad input: a clear 422 and nothing made.
    for bad in [
        json!({"url": "ftp://x.example"}),
        json!({"url": "http://x.example", "event_types": ["message.created"]}),
        json!({"url": "http://x.example", "event_types": []}),
        json!({"url": "http://x.example", "secret": "nope"}),
    ] {
        assert_error(&put(&a, &bad).await, 422);
    }
    assert_error(
        &put(&a, &json!({"event_types": ["task.failed"]})).await,
        422,
    );
    assert_error(&a.get("/api/v1/operational_webhook").await, 404);

    let mine = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body = json!({"url": "https://ops.example/hooks", "event_types": ["task.failed"],
                      "secret": mine});
    let made = created(put(&a, &body).await);
    assert_eq!(made["secret"], mine, "shown at creation");
    assert_eq!(made["event_types"], json!(["task.failed"]));
    let read = a.get("/api/v1/operational_webhook").await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert!(read.body.get("secret").is_none(), "{}", read.text);
    assert_eq!(read.body["url"], "https://ops.example/hooks");
    let secret = a.get("/api/v1/operational_webhook/secret").await;
    assert_eq!(secret.body["secret"], mine);
    // A secret is not changed by PUT, but by a rotation.
    assert_error(&put(&a, &body).await, 422);
    let rotated = a
        .post("/api/v1/operational_webhook/secret/rotate", &json!({}))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new = rotated.body["secret"].as_str().unwrap();
    assert_ne!(new, mine);
    assert_eq!(
        a.get("/api/v1/operational_webhook/secret").await.body["secret"],
        new
    );
    // Changed: all event types when none are named.
    let changed = put(&a, &json!({"url": "https://ops.example/v2"})).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["event_types"].as_array().unwrap().len(), 6);
    assert_eq!(changed.body["endpoint_id"], made["endpoint_id"]);
    // Its version is hookd's own: no endpoint of the caller's takes it.
    let app = created(
        a.post("/api/v1/apps", &json!({"name": unique("app")}))
            .await,
    );
    let sub = subscribed(&a, app["id"].as_str().unwrap()).await;
    let reserved = a
        .post(
            &format!("/api/v1/subscriptions/{sub}/endpoints"),
            &json!({"url": "https://x.example", "event_types": ["user.created"],
                    "version": "operational"}),
        )
        .await;
    assert_error(&reserved, 422);
    // The hidden app is never listed among the caller's apps.
    let apps = a.get("/api/v1/apps").await;
    let listed: Vec<_> = apps.body["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(listed, vec![app["id"].clone()], "{}", apps.text);
    // Another organization sees none of it.
    let (_, b) = new_org(&stack, "b").await;
    assert_error(&b.get("/api/v1/operational_webhook").await, 404);
    // Removed.
    assert_eq!(a.delete("/api/v1/operational_webhook").await.status, 204);
    assert_error(&a.get("/api/v1/operational_webhook").await, 404);
    stack.stop().await;
}
