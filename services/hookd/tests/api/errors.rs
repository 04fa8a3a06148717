//! Every error class of API.md, each in the error format, and each leaving nothing behind.

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::ApiResponse;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn count(stack: &TestStack, path: &str) -> u64 {
    ok(stack.api.get(path).await)["count"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_not_json_objects_are_400_and_change_nothing() {
    let stack = TestStack::spawn().await;
    let w = World::build(&stack).await;
    let (app, sub, ep) = (&w.app_id, &w.subscription_id, &w.endpoint_id);
    let posts = [
        ("POST", "/api/v1/organizations".to_owned()),
        ("POST", "/api/v1/api_keys".to_owned()),
        ("POST", "/api/v1/apps".to_owned()),
        ("PATCH", format!("/api/v1/apps/{app}")),
        ("POST", format!("/api/v1/apps/{app}/event_types")),
        (
            "PATCH",
            format!("/api/v1/apps/{app}/event_types/user.created"),
        ),
        ("POST", format!("/api/v1/apps/{app}/subscriptions")),
        ("PATCH", format!("/api/v1/subscriptions/{sub}")),
        ("POST", format!("/api/v1/subscriptions/{sub}/endpoints")),
        (
            "PATCH",
            format!("/api/v1/subscriptions/{sub}/endpoints/{ep}"),
        ),
        (
            "POST",
            format!("/api/v1/subscriptions/{sub}/endpoints/{ep}/secret/rotate"),
        ),
        ("POST", format!("/api/v1/apps/{app}/messages")),
        ("POST", format!("/api/v1/app/{app}/messages")),
        (
            "POST",
            format!("/api/v1/subscriptions/{sub}/endpoints/{ep}/messages"),
        ),
        ("POST", format!("/api/v1/apps/{app}/deliveries/retry")),
    ];
    let before_messages = count(&stack, &format!("/api/v1/apps/{app}/messages")).await;
    for (method, path) in &posts {
        for body in [
            "{\"name\": ",
            "not json",
            "[1, 2]",
            "\"a string\"",
            "42",
            "null",
        ] {
            let r = stack.api.raw(method, path, Some(body.into()), &[]).await;
            assert_error(&r, 400);
            assert!(
                r.body["message"].as_str().unwrap().contains("JSON"),
                "{method} {path} {body}: {}",
                r.text
            );
        }
    }
    // Nothing changed: the secret was not rotated, no message, no app, same names.
    let endpoint = ok(stack
        .api
        .get(&format!("/api/v1/subscriptions/{sub}/endpoints/{ep}"))
        .await);
    let secret = ok(stack
        .api
        .get(&format!(
            "/api/v1/subscriptions/{sub}/endpoints/{ep}/secret"
        ))
        .await);
    assert_eq!(secret["secret"], w.endpoint["secret"]);
    assert_eq!(endpoint["updated_at"], w.endpoint["updated_at"]);
    assert_eq!(
        count(&stack, &format!("/api/v1/apps/{app}/messages")).await,
        before_messages
    );
    assert_eq!(count(&stack, "/api/v1/apps").await, 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_unknown_key_is_401_and_bearer_and_basic_both_work() {
    let stack = TestStack::spawn().await;
    let anonymous = stack.api.with_key(None);
    for r in [
        anonymous.get("/api/v1/apps").await,
        anonymous.post("/api/v1/apps", &json!({"name": "x"})).await,
        anonymous.get("/api/v1/api_keys").await,
        stack
            .api
            .with_key(Some("hk_unknown"))
            .get("/api/v1/apps")
            .await,
        get_with_auth(&stack, "/api/v1/apps", &basic("hk_unknown")).await,
        get_with_auth(&stack, "/api/v1/apps", "Basic !!!not-base64").await,
        get_with_auth(&stack, "/api/v1/apps", &basic("")).await,
        get_with_auth(&stack, "/api/v1/apps", "Bearer").await,
        get_with_auth(&stack, "/api/v1/apps", &format!("Token {ADMIN_KEY}")).await,
        get_with_auth(&stack, "/api/v1/apps", ADMIN_KEY).await,
    ] {
        assert_error(&r, 401);
    }
    assert_eq!(
        count(&stack, "/api/v1/apps").await,
        0,
        "an anonymous POST created an app"
    );
    // The key is checked before anything else: an anonymous caller learns nothing about
    // ids, bodies or routes of the API.
    let unknown = uuid::Uuid::now_v7();
    for r in [
        anonymous.get(&format!("/api/v1/apps/{unknown}")).await,
        anonymous.get("/api/v1/apps/not-a-uuid").await,
        anonymous
            .raw("POST", "/api/v1/apps", Some("{bad".into()), &[])
            .await,
        anonymous
            .raw("POST", "/api/v1/apps", Some("[]".into()), &[])
            .await,
        anonymous.post("/api/v1/apps", &json!({"name": 5})).await,
        anonymous.get("/api/v1/apps?limit=9999").await,
    ] {
        assert_error(&r, 401);
    }

    // The admin key and a created key, each by Bearer and by Basic (key as user name, empty
    // password).
    let key = created(
        stack
            .api
            .post("/api/v1/api_keys", &json!({"name": "k"}))
            .await,
    );
    let key = key["key"].as_str().unwrap();
    for k in [ADMIN_KEY, key] {
        ok(get_with_auth(&stack, "/api/v1/apps", &format!("Bearer {k}")).await);
        ok(get_with_auth(&stack, "/api/v1/apps", &basic(k)).await);
        ok(get_with_auth(
            &stack,
            "/api/v1/apps",
            &format!("basic {}", base64(k.as_bytes())),
        )
        .await);
    }
    let by_basic = stack
        .api
        .with_key(None)
        .raw(
            "POST",
            "/api/v1/apps",
            Some(json!({"name": "by-basic"}).to_string().into()),
            &[("authorization", &basic(key))],
        )
        .await;
    assert_eq!(by_basic.status, 201, "{}", by_basic.text);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_ids_are_404() {
    let stack = TestStack::spawn().await;
    let w = World::build(&stack).await;
    let (app, sub, ep) = (&w.app_id, &w.subscription_id, &w.endpoint_id);
    let unknown = uuid::Uuid::now_v7().to_string();
    let send = json!({"event_type": "user.created", "data": {}});
    let mut requests: Vec<(&str, String, Option<Value>)> = Vec::new();
    for bad in [
        unknown.as_str(),
        "not-a-uuid",
        "123",
        "01a2082e-74dc-7087-9ac6",
    ] {
        requests.extend([
            ("DELETE", format!("/api/v1/api_keys/{bad}"), None),
            ("GET", format!("/api/v1/apps/{bad}"), None),
            (
                "PATCH",
                format!("/api/v1/apps/{bad}"),
                Some(json!({"name": "n"})),
            ),
            ("DELETE", format!("/api/v1/apps/{bad}"), None),
            ("GET", format!("/api/v1/apps/{bad}/event_types"), None),
            (
                "POST",
                format!("/api/v1/apps/{bad}/event_types"),
                Some(json!({"name": "a.b"})),
            ),
            (
                "GET",
                format!("/api/v1/apps/{bad}/event_types/user.created"),
                None,
            ),
            ("GET", format!("/api/v1/apps/{bad}/subscriptions"), None),
            (
                "POST",
                format!("/api/v1/apps/{bad}/subscriptions"),
                Some(json!({"name": "s"})),
            ),
            ("GET", format!("/api/v1/subscriptions/{bad}"), None),
            (
                "PATCH",
                format!("/api/v1/subscriptions/{bad}"),
                Some(json!({"name": "s"})),
            ),
            ("DELETE", format!("/api/v1/subscriptions/{bad}"), None),
            (
                "GET",
                format!("/api/v1/subscriptions/{bad}/endpoints"),
                None,
            ),
            (
                "GET",
                format!("/api/v1/subscriptions/{sub}/endpoints/{bad}"),
                None,
            ),
            (
                "GET",
                format!("/api/v1/subscriptions/{bad}/endpoints/{ep}"),
                None,
            ),
            (
                "PATCH",
                format!("/api/v1/subscriptions/{sub}/endpoints/{bad}"),
                Some(json!({})),
            ),
            (
                "DELETE",
                format!("/api/v1/subscriptions/{sub}/endpoints/{bad}"),
                None,
            ),
            (
                "POST",
                format!("/api/v1/subscriptions/{sub}/endpoints/{bad}/secret/rotate"),
                None,
            ),
            (
                "POST",
                format!("/api/v1/subscriptions/{sub}/endpoints/{bad}/messages"),
                Some(send.clone()),
            ),
            (
                "POST",
                format!("/api/v1/apps/{bad}/messages"),
                Some(send.clone()),
            ),
            (
                "POST",
                format!("/api/v1/app/{bad}/messages"),
                Some(send.clone()),
            ),
            ("GET", format!("/api/v1/apps/{bad}/messages"), None),
            ("GET", format!("/api/v1/messages/{bad}"), None),
            ("GET", format!("/api/v1/messages/{bad}/deliveries"), None),
            ("GET", format!("/api/v1/endpoints/{bad}/deliveries"), None),
            ("POST", format!("/api/v1/deliveries/{bad}/retry"), None),
            (
                "POST",
                format!("/api/v1/apps/{bad}/deliveries/retry"),
                Some(json!({})),
            ),
            ("GET", format!("/api/v1/deliveries/{bad}/attempts"), None),
            ("GET", format!("/api/v1/endpoints/{bad}/attempts"), None),
        ]);
    }
    // Names that are not event types of the app.
    for name in ["user.nope", "%20", "a%2Fb"] {
        requests.extend([
            (
                "GET",
                format!("/api/v1/apps/{app}/event_types/{name}"),
                None,
            ),
            (
                "PATCH",
                format!("/api/v1/apps/{app}/event_types/{name}"),
                Some(json!({"description": "d"})),
            ),
            (
                "DELETE",
                format!("/api/v1/apps/{app}/event_types/{name}"),
                None,
            ),
        ]);
    }
    // An endpoint under another subscription of the same app.
    let other_sub = created(
        stack
            .api
            .post(
                &format!("/api/v1/apps/{app}/subscriptions"),
                &json!({"name": "other"}),
            )
            .await,
    );
    let other_sub = id(&other_sub);
    requests.extend([
        (
            "GET",
            format!("/api/v1/subscriptions/{other_sub}/endpoints/{ep}"),
            None,
        ),
        (
            "DELETE",
            format!("/api/v1/subscriptions/{other_sub}/endpoints/{ep}"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/subscriptions/{other_sub}/endpoints/{ep}/secret/rotate"),
            None,
        ),
    ]);
    for (method, path, body) in &requests {
        let body = body.as_ref().map(|b| b.to_string().into());
        let r = stack.api.raw(method, path, body, &[]).await;
        assert!(r.status == 404, "{method} {path}: {} {}", r.status, r.text);
        assert_error(&r, 404);
    }
    // Nothing was touched.
    let secret = ok(stack
        .api
        .get(&format!(
            "/api/v1/subscriptions/{sub}/endpoints/{ep}/secret"
        ))
        .await);
    assert_eq!(secret["secret"], w.endpoint["secret"]);
    assert_eq!(count(&stack, "/api/v1/apps").await, 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_names_are_409() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let app = &f.app_id;
    let other_app = id(&created(
        stack
            .api
            .post("/api/v1/apps", &json!({"name": "other"}))
            .await,
    ));
    let app_name = ok(stack.api.get(&format!("/api/v1/apps/{app}")).await)["name"].clone();
    let sub_name = ok(stack
        .api
        .get(&format!("/api/v1/subscriptions/{}", f.subscription_id))
        .await)["name"]
        .clone();
    let other_sub = id(&created(
        stack
            .api
            .post(
                &format!("/api/v1/apps/{app}/subscriptions"),
                &json!({"name": "s2"}),
            )
            .await,
    ));
    let org = json!({"name": unique("org")});
    created(stack.api.post("/api/v1/organizations", &org).await);
    for r in [
        stack
            .api
            .post("/api/v1/apps", &json!({"name": app_name}))
            .await,
        stack
            .api
            .patch(
                &format!("/api/v1/apps/{other_app}"),
                &json!({"name": app_name}),
            )
            .await,
        stack
            .api
            .post(
                &format!("/api/v1/apps/{app}/event_types"),
                &json!({"name": "user.created"}),
            )
            .await,
        stack
            .api
            .post(
                &format!("/api/v1/apps/{app}/subscriptions"),
                &json!({"name": sub_name}),
            )
            .await,
        stack
            .api
            .patch(
                &format!("/api/v1/subscriptions/{other_sub}"),
                &json!({"name": sub_name}),
            )
            .await,
        stack.api.post("/api/v1/organizations", &org).await,
    ] {
        assert_error(&r, 409);
        assert!(
            r.body["message"].as_str().unwrap().contains("exists"),
            "{}",
            r.text
        );
    }
    // The losers kept their names; the same names are fine in another app / organization.
    assert_eq!(
        ok(stack.api.get(&format!("/api/v1/apps/{other_app}")).await)["name"],
        "other"
    );
    assert_eq!(
        ok(stack
            .api
            .get(&format!("/api/v1/subscriptions/{other_sub}"))
            .await)["name"],
        "s2"
    );
    created(
        stack
            .api
            .post(
                &format!("/api/v1/apps/{other_app}/event_types"),
                &json!({"name": "user.created"}),
            )
            .await,
    );
    created(
        stack
            .api
            .post(
                &format!("/api/v1/apps/{other_app}/subscriptions"),
                &json!({"name": sub_name}),
            )
            .await,
    );
    let (_, other_org) = new_org(&stack).await;
    created(
        other_org
            .post("/api/v1/apps", &json!({"name": app_name}))
            .await,
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_413_and_stores_nothing() {
    let stack = TestStack::spawn_with(|s| s.ingest.body_limit_bytes = 512).await;
    let f = stack.fixture().await;
    let path = format!("/api/v1/apps/{}/messages", f.app_id);
    let big = json!({"event_type": "user.created", "data": {"blob": "x".repeat(600)}});
    let r = stack.api.post(&path, &big).await;
    assert_error(&r, 413);
    assert_eq!(r.body["data"]["limit"], 512);
    // Whatever the route.
    let r = stack
        .api
        .post("/api/v1/apps", &json!({"name": "y".repeat(600)}))
        .await;
    assert_error(&r, 413);
    // Just under the limit is fine.
    let small = json!({"event_type": "user.created", "data": {"blob": "x".repeat(300)}});
    assert_eq!(stack.api.post(&path, &small).await.status, 202);
    let listed = ok(stack.api.get(&path).await);
    assert_eq!(
        listed["count"], 1,
        "the oversized message was stored: {listed}"
    );
    assert_eq!(count(&stack, "/api/v1/apps").await, 1);
    stack.stop().await;
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_is_405_and_an_unknown_path_404_both_in_the_error_format() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let app = &f.app_id;
    for (method, path, allow) in [
        ("DELETE", "/api/v1/apps".to_owned(), "GET, POST"),
        ("PUT", format!("/api/v1/apps/{app}"), "GET, PATCH, DELETE"),
        ("POST", format!("/api/v1/apps/{app}"), "GET, PATCH, DELETE"),
        (
            "DELETE",
            format!("/api/v1/apps/{app}/messages"),
            "GET, POST",
        ),
        (
            "GET",
            format!("/api/v1/apps/{app}/deliveries/retry"),
            "POST",
        ),
        ("GET", "/api/v1/api_keys/x".to_owned(), "DELETE"),
    ] {
        let r = stack.api.raw(method, &path, None, &[]).await;
        assert_error(&r, 405);
        assert_eq!(
            r.headers.get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
    }
    for path in [
        "/api/v1/nothing",
        "/api/v1/apps/x/y/z",
        "/nowhere",
        "/api/v2/apps",
    ] {
        assert_error(&stack.api.get(path).await, 404);
    }
    // The app is still there.
    ok(stack.api.get(&format!("/api/v1/apps/{app}")).await);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_503_without_internals_and_recovers() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let (_, tenant) = new_org(&stack).await;
    let db_name = stack
        .settings
        .database
        .url
        .expose()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    // The database stops accepting connections and every open one is cut, as when it is
    // restarted or fails over.
    // ALTER DATABASE cannot run from inside the database it changes: use the maintenance one.
    let url = stack.settings.database.url.expose();
    let maintenance = format!("{}/postgres", &url[..url.rfind('/').unwrap()]);
    let admin = hookd_db::connect(&maintenance, 1)
        .unwrap()
        .get()
        .await
        .unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{db_name}';"
        ))
        .await
        .unwrap();
    let send = json!({"event_type": "user.created", "data": {"n": 1}});
    let responses = [
        stack.api.get("/api/v1/apps").await,
        stack.api.get(&format!("/api/v1/apps/{}", f.app_id)).await,
        stack
            .api
            .post("/api/v1/apps", &json!({"name": "during"}))
            .await,
        stack.send(&f, send.clone()).await,
        // A non-admin key is looked up in the database: that is a 503 too, not a 401.
        tenant.get("/api/v1/apps").await,
    ];
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS true"
        ))
        .await
        .unwrap();
    for r in &responses {
        assert_error(r, 503);
        assert!(r.headers.contains_key("retry-after"), "{:?}", r.headers);
        let text = r.text.to_lowercase();
        for leak in [
            "sql",
            "postgres",
            "hookd_test",
            "select",
            "connection",
            "fatal",
            "panicked",
            "src/",
        ] {
            assert!(!text.contains(leak), "the 503 leaks `{leak}`: {}", r.text);
        }
    }
    // Back once the database is: the pool reconnects by itself.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = stack.api.get("/api/v1/apps").await;
        if r.status == 200 {
            assert_eq!(
                r.body["count"], 1,
                "the app made during the outage exists: {}",
                r.text
            );
            break;
        }
        assert!(Instant::now() < deadline, "did not recover: {}", r.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stack.send(&f, send).await.status, 202);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_query_is_500_without_internals() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let path = format!("/api/v1/apps/{}/subscriptions", f.app_id);
    ok(stack.api.get(&path).await);
    // A query that PostgreSQL rejects (the table is not there): a bug, not an outage.
    let db = stack.db().await;
    db.batch_execute("ALTER TABLE subscriptions RENAME TO subscriptions_moved")
        .await
        .unwrap();
    let r = stack.api.get(&path).await;
    let created = stack
        .api
        .post(&path, &json!({"name": "while-broken"}))
        .await;
    db.batch_execute("ALTER TABLE subscriptions_moved RENAME TO subscriptions")
        .await
        .unwrap();
    for r in [&r, &created] {
        assert_error(r, 500);
        assert_eq!(r.body["message"], "internal error", "{}", r.text);
        let text = r.text.to_lowercase();
        for leak in [
            "subscriptions",
            "relation",
            "sql",
            "select",
            "insert",
            "42p01",
            "postgres",
        ] {
            assert!(!text.contains(leak), "the 500 leaks `{leak}`: {}", r.text);
        }
    }
    assert_eq!(ok(stack.api.get(&path).await)["count"], 1);
    stack.stop().await;
}
