//! 409 for duplicate names and 413 for bodies over the limit, each leaving nothing behind.

use crate::helpers::*;
use crate::support::*;
use serde_json::json;

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
