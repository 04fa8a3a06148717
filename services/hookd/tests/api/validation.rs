//! 422 for well-formed requests that fail validation, naming the problem and changing nothing.

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::ApiResponse;
use serde_json::{json, Value};

/// Asserts a 422 whose message contains `needle`.
fn invalid(r: &ApiResponse, needle: &str) {
    assert_error(r, 422);
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.contains(needle),
        "`{needle}` not in 422 message: {}",
        r.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn well_formed_requests_that_fail_validation_are_422_and_change_nothing() {
    let stack = TestStack::spawn().await;
    let w = World::build(&stack).await;
    let (app, sub, ep) = (&w.app_id, &w.subscription_id, &w.endpoint_id);
    let api = &stack.api;
    let messages = format!("/api/v1/apps/{app}/messages");
    let endpoints = format!("/api/v1/subscriptions/{sub}/endpoints");
    let endpoint = format!("{endpoints}/{ep}");
    // "Changes nothing" is counted: no table gains or loses a row through a 422.
    let before = stack.row_counts().await;

    // Messages.
    invalid(
        &api.post(&messages, &json!({"data": {}})).await,
        "event_type is required",
    );
    invalid(
        &api.post(&messages, &json!({"event_type": "", "data": {}}))
            .await,
        "event_type",
    );
    invalid(
        &api.post(&messages, &json!({"event_type": 7, "data": {}}))
            .await,
        "event_type",
    );
    invalid(
        &api.post(&messages, &json!({"event_type": "user.created"}))
            .await,
        "data is required",
    );
    invalid(
        &api.post(
            &messages,
            &json!({"event_type": "user.created", "data": {}, "version": 2}),
        )
        .await,
        "version",
    );
    invalid(
        &api.post(
            &messages,
            &json!({"event_type": "user.created", "data": {}, "event_id": ""}),
        )
        .await,
        "event_id",
    );
    stack
        .assert_rows_unchanged(&before, &[], "an invalid message")
        .await;
    // A schema on the event type: data failing it is 422 naming the failure.
    created(
        api.post(
            &format!("/api/v1/apps/{app}/event_types"),
            &json!({"name": "order.paid", "schema": {
                "type": "object", "required": ["amount"],
                "properties": {"amount": {"type": "integer", "minimum": 1}}}}),
        )
        .await,
    );
    let r = api
        .post(
            &messages,
            &json!({"event_type": "order.paid", "data": {"amount": "ten"}}),
        )
        .await;
    invalid(&r, "order.paid");
    assert!(
        r.body["message"].as_str().unwrap().contains("/amount"),
        "{}",
        r.text
    );
    assert!(
        r.body["message"].as_str().unwrap().contains("integer"),
        "{}",
        r.text
    );
    assert!(
        r.body["data"]["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{}",
        r.text
    );
    invalid(
        &api.post(&messages, &json!({"event_type": "order.paid", "data": {}}))
            .await,
        "amount",
    );
    invalid(
        &api.post(
            &messages,
            &json!({"event_type": "order.paid", "data": {"amount": 0}}),
        )
        .await,
        "minimum",
    );
    // Direct send: to a disabled endpoint or of another version.
    let direct = format!("{endpoint}/messages");
    invalid(
        &api.post(
            &direct,
            &json!({"event_type": "user.created", "data": {}, "version": "2.0"}),
        )
        .await,
        "version",
    );
    ok(api.patch(&endpoint, &json!({"status": "disabled"})).await);
    invalid(
        &api.post(&direct, &json!({"event_type": "user.created", "data": {}}))
            .await,
        "disabled",
    );
    ok(api.patch(&endpoint, &json!({"status": "enabled"})).await);

    // Endpoints.
    let good = json!({"url": "https://example.com/hook", "event_types": ["user.created"]});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, needle) in [
        (with("url", json!("ftp://example.com/x")), "url"),
        (with("url", json!("javascript:alert(1)")), "url"),
        (with("url", json!("not a url")), "url"),
        (with("url", json!(5)), "url"),
        (json!({"event_types": ["user.created"]}), "url is required"),
        (
            json!({"url": "https://example.com"}),
            "event_types is required",
        ),
        (
            with("event_types", json!(["user.created", "never.defined"])),
            "never.defined",
        ),
        (with("event_types", json!([])), "event_types"),
        (with("event_types", json!("user.created")), "event_types"),
        (with("status", json!("paused")), "status"),
        (
            with("headers", json!({"webhook-signature": "forged"})),
            "webhook-signature",
        ),
        (with("headers", json!({"x-n": 1})), "header"),
        (with("headers", json!(["x"])), "headers"),
        (with("secret", json!("plaintext")), "secret"),
        (with("version", json!("")), "version"),
    ] {
        invalid(&api.post(&endpoints, &body).await, needle);
    }
    let r = api
        .post(&endpoints, &with("event_types", json!(["nope.one"])))
        .await;
    assert_eq!(
        r.body["data"]["event_types"],
        json!(["nope.one"]),
        "{}",
        r.text
    );
    for (body, needle) in [
        (json!({"url": "ftp://x.y"}), "url"),
        (json!({"event_types": ["never.defined"]}), "never.defined"),
        (json!({"status": "on"}), "status"),
        (json!({"secret": "whsec_AAAA"}), "rotate"),
    ] {
        invalid(&api.patch(&endpoint, &body).await, needle);
    }
    invalid(
        &api.post(
            &format!("{endpoint}/secret/rotate"),
            &json!({"secret": "nope"}),
        )
        .await,
        "secret",
    );
    assert_eq!(
        count(&stack, &endpoints).await,
        1,
        "an invalid endpoint was created"
    );
    let unchanged = ok(api.get(&endpoint).await);
    assert_eq!(unchanged["url"], w.endpoint["url"]);
    assert_eq!(
        ok(api.get(&format!("{endpoint}/secret")).await)["secret"],
        w.endpoint["secret"]
    );
    assert_eq!(unchanged["event_types"], json!(["user.created"]));

    // Apps, event types, subscriptions, keys, organizations.
    invalid(
        &api.post("/api/v1/apps", &json!({})).await,
        "name is required",
    );
    invalid(
        &api.post("/api/v1/apps", &json!({"name": "   "})).await,
        "name is required",
    );
    invalid(
        &api.post("/api/v1/apps", &json!({"name": 3})).await,
        "name: invalid type",
    );
    invalid(
        &api.patch(&format!("/api/v1/apps/{app}"), &json!({"name": ""}))
            .await,
        "name",
    );
    invalid(
        &api.post("/api/v1/apps", &json!({"name": "n".repeat(300)}))
            .await,
        "at most",
    );
    let event_types = format!("/api/v1/apps/{app}/event_types");
    invalid(
        &api.post(&event_types, &json!({})).await,
        "name is required",
    );
    invalid(
        &api.post(&event_types, &json!({"name": "has space"})).await,
        "name",
    );
    invalid(
        &api.post(
            &event_types,
            &json!({"name": "a.b", "schema": {"type": "nope"}}),
        )
        .await,
        "schema",
    );
    invalid(
        &api.post(&event_types, &json!({"name": "a.b", "schema": 5}))
            .await,
        "schema",
    );
    invalid(
        &api.patch(
            &format!("{event_types}/user.created"),
            &json!({"schema": {"minimum": "x"}}),
        )
        .await,
        "schema",
    );
    invalid(
        &api.patch(
            &format!("{event_types}/user.created"),
            &json!({"description": 1}),
        )
        .await,
        "description",
    );
    let subs = format!("/api/v1/apps/{app}/subscriptions");
    invalid(&api.post(&subs, &json!({})).await, "name is required");
    invalid(
        &api.post(&subs, &json!({"name": "m", "metadata": [1]}))
            .await,
        "metadata",
    );
    invalid(
        &api.patch(
            &format!("/api/v1/subscriptions/{sub}"),
            &json!({"metadata": "x"}),
        )
        .await,
        "metadata",
    );
    invalid(
        &api.post("/api/v1/api_keys", &json!({"name": " "})).await,
        "name",
    );
    invalid(
        &api.post("/api/v1/organizations", &json!({})).await,
        "name is required",
    );
    invalid(
        &api.post(
            &format!("/api/v1/apps/{app}/deliveries/retry"),
            &json!({"status": "lost"}),
        )
        .await,
        "status",
    );
    invalid(
        &api.post(
            &format!("/api/v1/apps/{app}/deliveries/retry"),
            &json!({"colour": "red"}),
        )
        .await,
        "colour",
    );
    invalid(
        &api.post(
            &format!("/api/v1/apps/{app}/deliveries/retry"),
            &json!({"created_at": {"gte": "yesterday"}}),
        )
        .await,
        "",
    );
    assert_eq!(count(&stack, "/api/v1/apps").await, 1);
    assert_eq!(count(&stack, &subs).await, 1);
    assert_eq!(count(&stack, &event_types).await, 3);
    stack
        .assert_rows_unchanged(&before, &["event_types"], "a request failing validation")
        .await;
    // The schema is no wall: data meeting it is accepted (and this is a table change).
    assert_eq!(
        api.post(
            &messages,
            &json!({"event_type": "order.paid", "data": {"amount": 5}})
        )
        .await
        .status,
        202
    );

    // Lists: limit, order_by, dir, cursors, filters.
    for query in [
        "limit=251",
        "limit=0",
        "limit=-1",
        "limit=ten",
        "order_by=name",
        "dir=up",
        "next=garbage",
        "prev=%%%",
        "created_at[gte]=yesterday",
        "created_at[around]=2026-01-01T00:00:00Z",
        "event_type[gte]=a",
    ] {
        let r = api.get(&format!("{messages}?{query}")).await;
        assert_error(&r, 422);
    }
    invalid(&api.get("/api/v1/apps?limit=251").await, "250");
    invalid(
        &api.get(&format!(
            "/api/v1/messages/{}/deliveries?status=lost",
            w.message_id
        ))
        .await,
        "status",
    );
    invalid(
        &api.get(&format!("{endpoints}?status=paused")).await,
        "status",
    );
    ok(api.get("/api/v1/apps?limit=250").await);
    stack.stop().await;
}
