//! Every error class of API.md in the error format, each leaving nothing behind: 400, 401 and 404
//! here; 409 and 413 in `conflicts`, 422 in `validation`, 405, 500 and 503 in `failures`.

use crate::helpers::*;
use crate::support::*;
use serde_json::{json, Value};

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
