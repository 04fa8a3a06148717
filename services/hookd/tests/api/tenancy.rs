//! Another organization's key gets 404 on every route that takes an id, sees nothing of the
//! data, and changes nothing of it.

use crate::helpers::*;
use crate::support::*;
use serde_json::{json, Value};

/// Everything organization A can read about its world, to compare before and after.
async fn snapshot(stack: &TestStack, w: &World) -> Vec<(String, Value)> {
    let (app, sub, ep) = (&w.app_id, &w.subscription_id, &w.endpoint_id);
    let mut out = Vec::new();
    for path in [
        "/api/v1/apps".to_owned(),
        "/api/v1/api_keys".to_owned(),
        format!("/api/v1/apps/{app}"),
        format!("/api/v1/apps/{app}/event_types"),
        format!("/api/v1/apps/{app}/event_types/{}", w.event_type),
        format!("/api/v1/apps/{app}/subscriptions"),
        format!("/api/v1/subscriptions/{sub}"),
        format!("/api/v1/subscriptions/{sub}/endpoints"),
        format!("/api/v1/subscriptions/{sub}/endpoints/{ep}"),
        format!("/api/v1/subscriptions/{sub}/endpoints/{ep}/secret"),
        format!("/api/v1/apps/{app}/messages"),
        format!("/api/v1/messages/{}", w.message_id),
        format!("/api/v1/messages/{}/deliveries", w.message_id),
        format!("/api/v1/endpoints/{ep}/deliveries"),
        format!("/api/v1/deliveries/{}/attempts", w.delivery_id),
        format!("/api/v1/endpoints/{ep}/attempts"),
    ] {
        let body = ok(stack.api.get(&path).await);
        out.push((path, body));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organization_gets_404_on_every_id_route_and_changes_nothing() {
    let stack = TestStack::spawn().await;
    let w = World::build(&stack).await;
    let (app, sub, ep) = (&w.app_id, &w.subscription_id, &w.endpoint_id);
    let (msg, delivery) = (&w.message_id, &w.delivery_id);
    let before = snapshot(&stack, &w).await;

    // Organization B, with a world of its own to mix ids with.
    let (_, b) = new_org(&stack).await;
    let b_app = id(&created(
        b.post("/api/v1/apps", &json!({"name": "b-app"})).await,
    ));
    created(
        b.post(
            &format!("/api/v1/apps/{b_app}/event_types"),
            &json!({"name": "user.created"}),
        )
        .await,
    );
    let b_sub = id(&created(
        b.post(
            &format!("/api/v1/apps/{b_app}/subscriptions"),
            &json!({"name": "b-sub"}),
        )
        .await,
    ));

    let send = json!({"event_type": "user.created", "data": {"from": "b"}});
    let endpoint_body =
        json!({"url": "https://evil.example/hook", "event_types": ["user.created"]});
    let requests: Vec<(&str, String, Option<Value>)> = vec![
        // apps
        ("GET", format!("/api/v1/apps/{app}"), None),
        (
            "PATCH",
            format!("/api/v1/apps/{app}"),
            Some(json!({"name": "hijacked"})),
        ),
        ("DELETE", format!("/api/v1/apps/{app}"), None),
        // event types
        ("GET", format!("/api/v1/apps/{app}/event_types"), None),
        (
            "POST",
            format!("/api/v1/apps/{app}/event_types"),
            Some(json!({"name": "evil.type"})),
        ),
        (
            "GET",
            format!("/api/v1/apps/{app}/event_types/user.created"),
            None,
        ),
        (
            "PATCH",
            format!("/api/v1/apps/{app}/event_types/user.created"),
            Some(json!({"description": "hijacked", "schema": {"type": "string"}})),
        ),
        (
            "DELETE",
            format!("/api/v1/apps/{app}/event_types/user.created"),
            None,
        ),
        // subscriptions
        ("GET", format!("/api/v1/apps/{app}/subscriptions"), None),
        (
            "POST",
            format!("/api/v1/apps/{app}/subscriptions"),
            Some(json!({"name": "evil"})),
        ),
        ("GET", format!("/api/v1/subscriptions/{sub}"), None),
        (
            "PATCH",
            format!("/api/v1/subscriptions/{sub}"),
            Some(json!({"name": "hijacked"})),
        ),
        ("DELETE", format!("/api/v1/subscriptions/{sub}"), None),
        // endpoints, rotation, direct send: by A's subscription, and by B's own subscription
        // with A's endpoint
        (
            "GET",
            format!("/api/v1/subscriptions/{sub}/endpoints"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/subscriptions/{sub}/endpoints"),
            Some(endpoint_body.clone()),
        ),
        (
            "GET",
            format!("/api/v1/subscriptions/{sub}/endpoints/{ep}"),
            None,
        ),
        (
            "PATCH",
            format!("/api/v1/subscriptions/{sub}/endpoints/{ep}"),
            Some(json!({"url": "https://evil.example/hook", "status": "disabled"})),
        ),
        (
            "DELETE",
            format!("/api/v1/subscriptions/{sub}/endpoints/{ep}"),
            None,
        ),
        (
            "GET",
            format!("/api/v1/subscriptions/{sub}/endpoints/{ep}/secret"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/subscriptions/{sub}/endpoints/{ep}/secret/rotate"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/subscriptions/{sub}/endpoints/{ep}/secret/rotate"),
            Some(json!({"secret": hookd_signing::generate_secret()})),
        ),
        (
            "POST",
            format!("/api/v1/subscriptions/{sub}/endpoints/{ep}/messages"),
            Some(send.clone()),
        ),
        (
            "GET",
            format!("/api/v1/subscriptions/{b_sub}/endpoints/{ep}"),
            None,
        ),
        (
            "PATCH",
            format!("/api/v1/subscriptions/{b_sub}/endpoints/{ep}"),
            Some(json!({"status": "disabled"})),
        ),
        (
            "DELETE",
            format!("/api/v1/subscriptions/{b_sub}/endpoints/{ep}"),
            None,
        ),
        (
            "GET",
            format!("/api/v1/subscriptions/{b_sub}/endpoints/{ep}/secret"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/subscriptions/{b_sub}/endpoints/{ep}/secret/rotate"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/subscriptions/{b_sub}/endpoints/{ep}/messages"),
            Some(send.clone()),
        ),
        // messages
        (
            "POST",
            format!("/api/v1/apps/{app}/messages"),
            Some(send.clone()),
        ),
        (
            "POST",
            format!("/api/v1/app/{app}/messages"),
            Some(send.clone()),
        ),
        ("GET", format!("/api/v1/apps/{app}/messages"), None),
        ("GET", format!("/api/v1/messages/{msg}"), None),
        // deliveries and attempts
        ("GET", format!("/api/v1/messages/{msg}/deliveries"), None),
        ("GET", format!("/api/v1/endpoints/{ep}/deliveries"), None),
        ("POST", format!("/api/v1/deliveries/{delivery}/retry"), None),
        (
            "POST",
            format!("/api/v1/apps/{app}/deliveries/retry"),
            Some(json!({})),
        ),
        (
            "POST",
            format!("/api/v1/apps/{app}/deliveries/retry"),
            Some(json!({"status": "succeeded"})),
        ),
        (
            "GET",
            format!("/api/v1/deliveries/{delivery}/attempts"),
            None,
        ),
        ("GET", format!("/api/v1/endpoints/{ep}/attempts"), None),
        // API keys
        ("DELETE", format!("/api/v1/api_keys/{}", w.api_key_id), None),
    ];
    let secret = w.endpoint["secret"].as_str().unwrap();
    let rows = stack.row_counts().await;
    for (method, path, body) in &requests {
        let body = body.as_ref().map(|b| b.to_string().into());
        let r = b.raw(method, path, body, &[]).await;
        assert!(
            r.status == 404,
            "{method} {path} by another organization: {} {}",
            r.status,
            r.text
        );
        assert_error(&r, 404);
        // Nothing of A's data in the answer.
        for leak in [
            secret,
            msg.as_str(),
            delivery.as_str(),
            "succeeded",
            "user.created",
        ] {
            assert!(
                !r.text.contains(leak),
                "{method} {path} leaks {leak}: {}",
                r.text
            );
        }
    }

    stack
        .assert_rows_unchanged(&rows, &[], "another organization's requests")
        .await;
    // B's own lists show none of A's data.
    assert_eq!(ids(&ok(b.get("/api/v1/apps").await)), vec![b_app.clone()]);
    assert!(!ids(&ok(b.get("/api/v1/api_keys").await)).contains(&w.api_key_id));
    assert_eq!(
        ok(b.get(&format!("/api/v1/apps/{b_app}/messages")).await)["count"],
        0
    );

    // A sees exactly what it saw before, and its key and endpoint still work.
    let after = snapshot(&stack, &w).await;
    for ((path, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "{path} changed");
    }
    let attempts = &after
        .iter()
        .find(|(p, _)| p.ends_with(&format!("/deliveries/{delivery}/attempts")))
        .unwrap()
        .1;
    assert_eq!(ids(attempts), vec![w.attempt_id.clone()]);
    let sent = stack
        .send(
            &crate::helpers::Fixture {
                app_id: app.clone(),
                subscription_id: sub.clone(),
            },
            json!({"event_type": "user.created", "data": {"from": "a"}}),
        )
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text);
    stack.stop().await;
}
