//! Create, get, list, patch and delete of apps, event types, subscriptions and endpoints, as
//! API.md lists them, with the list filters of each; messages in `messages`, deliveries and
//! attempts in `deliveries`.

use crate::helpers::*;
use crate::support::*;
use serde_json::{json, Value};

/// Asserts a 204 with an empty body.
fn no_content(r: hookd_testkit::ApiResponse) {
    assert_eq!(r.status, 204, "expected 204, got {}: {}", r.status, r.text);
    assert!(r.text.is_empty(), "204 with a body: {}", r.text);
}

fn is_uuid_v7(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.get_version_num() == 7)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_create_get_list_patch_delete() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let app = created(api.post("/api/v1/apps", &json!({"name": "shop"})).await);
    let app_id = id(&app);
    assert!(is_uuid_v7(&app_id), "{app_id}");
    assert_eq!(app["name"], "shop");
    assert!(app["created_at"].as_str().unwrap().ends_with('Z'), "{app}");
    time(&app, "created_at");
    let path = format!("/api/v1/apps/{app_id}");
    assert_eq!(ok(api.get(&path).await), app);
    created(api.post("/api/v1/apps", &json!({"name": "blog"})).await);
    let listed = ok(api.get("/api/v1/apps").await);
    assert_eq!(listed["count"], 2);
    assert_eq!(listed["models"][1], app, "newest first by default");
    assert_eq!(
        listed["pagination"],
        json!({"order_by": "created_at", "dir": "desc", "limit": 100, "next": null, "prev": null})
    );
    assert_eq!(
        ids(&ok(api.get("/api/v1/apps?name=shop").await)),
        vec![app_id.clone()]
    );
    assert_eq!(ids(&ok(api.get("/api/v1/apps?dir=asc").await))[0], app_id);
    // PATCH changes what it is given, and only that.
    let renamed = ok(api.patch(&path, &json!({"name": "store"})).await);
    assert_eq!(renamed["name"], "store");
    assert_eq!(renamed["created_at"], app["created_at"]);
    assert!(time(&renamed, "updated_at") > time(&app, "updated_at"));
    assert_eq!(ok(api.patch(&path, &json!({})).await)["name"], "store");
    assert_eq!(ok(api.get(&path).await)["name"], "store");
    // DELETE is 204, then the app and what it owns are gone.
    let f_events = format!("{path}/event_types");
    created(api.post(&f_events, &json!({"name": "a.b"})).await);
    no_content(api.delete(&path).await);
    assert_error(&api.get(&path).await, 404);
    assert_error(&api.get(&f_events).await, 404);
    assert_error(&api.delete(&path).await, 404);
    assert_eq!(ok(api.get("/api/v1/apps").await)["count"], 1);
    // Its name is free again.
    created(api.post("/api/v1/apps", &json!({"name": "shop"})).await);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_types_create_get_list_patch_delete() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let app = id(&created(
        api.post("/api/v1/apps", &json!({"name": "a"})).await,
    ));
    let base = format!("/api/v1/apps/{app}/event_types");
    let schema = json!({"type": "object", "required": ["id"]});
    let et = created(
        api.post(
            &base,
            &json!({"name": "user.created", "description": "A user signed up", "schema": schema}),
        )
        .await,
    );
    assert_eq!(et["name"], "user.created");
    assert_eq!(et["description"], "A user signed up");
    assert_eq!(et["schema"], schema);
    let plain = created(api.post(&base, &json!({"name": "user.deleted"})).await);
    assert_eq!(plain["description"], Value::Null);
    assert_eq!(plain["schema"], Value::Null);
    let one = format!("{base}/user.created");
    assert_eq!(ok(api.get(&one).await), et);
    let listed = ok(api.get(&base).await);
    assert_eq!(listed["count"], 2);
    assert_eq!(
        ids(&ok(api.get(&format!("{base}?name=user.deleted")).await)),
        vec![id(&plain)]
    );

    // The schema is enforced on sends, and PATCH changes it.
    let messages = format!("/api/v1/apps/{app}/messages");
    let send = json!({"event_type": "user.created", "data": {"name": "x"}});
    assert_error(&api.post(&messages, &send).await, 422);
    let r = api.patch(&one, &json!({"name": "user.renamed"})).await;
    assert_error(&r, 422);
    assert_error(&api.get(&format!("{base}/user.renamed")).await, 404);
    assert_eq!(
        ok(api.get(&one).await),
        et,
        "a refused rename changed something"
    );
    let patched = ok(api.patch(&one, &json!({"description": "changed"})).await);
    assert_eq!(patched["description"], "changed");
    assert_eq!(patched["schema"], schema, "a PATCH without schema keeps it");
    let patched = ok(api.patch(&one, &json!({"schema": null})).await);
    assert_eq!(patched["schema"], Value::Null);
    assert_eq!(
        patched["description"], "changed",
        "a PATCH without description keeps it"
    );
    assert_eq!(
        api.post(&messages, &send).await.status,
        202,
        "the removed schema still applies"
    );
    let strict = json!({"type": "object", "required": ["name"], "additionalProperties": false});
    ok(api.patch(&one, &json!({"schema": strict})).await);
    assert_error(
        &api.post(
            &messages,
            &json!({"event_type": "user.created", "data": {"name": "x", "y": 1}}),
        )
        .await,
        422,
    );
    assert_eq!(
        ok(api.patch(&one, &json!({"description": null})).await)["description"],
        Value::Null
    );

    // An endpoint may only list defined event types; deleting one frees the name.
    no_content(api.delete(&format!("{base}/user.deleted")).await);
    assert_error(&api.get(&format!("{base}/user.deleted")).await, 404);
    assert_eq!(ok(api.get(&base).await)["count"], 1);
    let sub = id(&created(
        api.post(
            &format!("/api/v1/apps/{app}/subscriptions"),
            &json!({"name": "s"}),
        )
        .await,
    ));
    let r = api
        .post(
            &format!("/api/v1/subscriptions/{sub}/endpoints"),
            &json!({"url": "https://example.com", "event_types": ["user.deleted"]}),
        )
        .await;
    assert_error(&r, 422);
    created(api.post(&base, &json!({"name": "user.deleted"})).await);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_create_get_list_patch_delete() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let f = stack.fixture().await;
    let base = format!("/api/v1/apps/{}/subscriptions", f.app_id);
    let sub = created(
        api.post(&base, &json!({"name": "acme", "metadata": {"plan": "pro"}}))
            .await,
    );
    assert_eq!(sub["app_id"], json!(f.app_id));
    assert_eq!(sub["metadata"], json!({"plan": "pro"}));
    let bare = created(api.post(&base, &json!({"name": "bare"})).await);
    assert_eq!(bare["metadata"], json!({}));
    let one = format!("/api/v1/subscriptions/{}", id(&sub));
    assert_eq!(ok(api.get(&one).await), sub);
    let listed = ok(api.get(&base).await);
    assert_eq!(listed["count"], 3, "the fixture's, acme and bare: {listed}");
    assert_eq!(
        ids(&ok(api.get(&format!("{base}?name=acme")).await)),
        vec![id(&sub)]
    );
    let patched = ok(api.patch(&one, &json!({"name": "acme-inc"})).await);
    assert_eq!(patched["name"], "acme-inc");
    assert_eq!(patched["metadata"], json!({"plan": "pro"}));
    let patched = ok(api
        .patch(&one, &json!({"metadata": {"plan": "free"}}))
        .await);
    assert_eq!(patched["name"], "acme-inc");
    assert_eq!(patched["metadata"], json!({"plan": "free"}));
    // Deleting it deletes its endpoints.
    let endpoint = created(
        api.post(
            &format!("{one}/endpoints"),
            &json!({"url": "https://example.com/h", "event_types": ["user.created"]}),
        )
        .await,
    );
    no_content(api.delete(&one).await);
    assert_error(&api.get(&one).await, 404);
    assert_error(
        &api.get(&format!("/api/v1/endpoints/{}/deliveries", id(&endpoint)))
            .await,
        404,
    );
    assert_error(&api.delete(&one).await, 404);
    assert_eq!(ok(api.get(&base).await)["count"], 2);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_create_get_list_patch_delete() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let f = stack.fixture().await;
    let base = format!("/api/v1/subscriptions/{}/endpoints", f.subscription_id);
    let ep = created(
        api.post(
            &base,
            &json!({"url": "https://example.com/hook", "event_types": ["user.created", "user.deleted"],
                    "description": "main", "headers": {"x-tenant": "acme"}}),
        )
        .await,
    );
    assert_eq!(ep["version"], "1.0", "version defaults to 1.0");
    assert_eq!(ep["status"], "enabled", "status defaults to enabled");
    assert_eq!(ep["subscription_id"], json!(f.subscription_id));
    assert_eq!(ep["app_id"], json!(f.app_id));
    assert_eq!(ep["headers"], json!({"x-tenant": "acme"}));
    assert_eq!(ep["description"], "main");
    let mut types: Vec<String> = serde_json::from_value(ep["event_types"].clone()).unwrap();
    types.sort();
    assert_eq!(types, ["user.created", "user.deleted"]);
    // whsec_ + base64 of 24 to 64 random bytes.
    let secret = ep["secret"].as_str().unwrap();
    let raw = secret.strip_prefix("whsec_").expect("whsec_ prefix");
    let bytes = raw.len() / 4 * 3 - raw.matches('=').count();
    assert!((24..=64).contains(&bytes), "{secret} is {bytes} bytes");
    let other = created(
        api.post(
            &base,
            &json!({"url": "http://example.org/v2", "version": "2.0", "status": "disabled",
                    "event_types": ["user.created"]}),
        )
        .await,
    );
    assert_ne!(other["secret"], ep["secret"]);
    assert_eq!(other["status"], "disabled");
    let one = format!("{base}/{}", id(&ep));
    // GET answers the created endpoint without its secret; `.../secret` has that.
    let mut shown = ep.clone();
    shown.as_object_mut().unwrap().remove("secret");
    assert_eq!(ok(api.get(&one).await), shown);
    assert_eq!(
        ok(api.get(&format!("{one}/secret")).await),
        json!({"secret": ep["secret"]})
    );
    assert_eq!(ok(api.get(&base).await)["count"], 2);
    assert_eq!(
        ids(&ok(api.get(&format!("{base}?status=disabled")).await)),
        vec![id(&other)]
    );
    assert_eq!(
        ids(&ok(api.get(&format!("{base}?status=enabled")).await)),
        vec![id(&ep)]
    );
    assert_eq!(
        ids(&ok(api.get(&format!("{base}?version=2.0")).await)),
        vec![id(&other)]
    );

    // PATCH: each field alone, the others untouched; null clears the description.
    let p = ok(api.patch(&one, &json!({"status": "disabled"})).await);
    assert_eq!(p["status"], "disabled");
    assert_eq!(p["url"], ep["url"]);
    assert_eq!(p["headers"], ep["headers"]);
    let p = ok(api
        .patch(
            &one,
            &json!({"url": "https://example.com/new", "event_types": ["user.deleted"]}),
        )
        .await);
    assert_eq!(p["url"], "https://example.com/new");
    assert_eq!(p["event_types"], json!(["user.deleted"]));
    assert_eq!(p["status"], "disabled");
    assert_eq!(p["description"], "main");
    let p = ok(api
        .patch(
            &one,
            &json!({"description": null, "headers": {"x-other": "1"}, "version": "1.1"}),
        )
        .await);
    assert_eq!(p["description"], Value::Null);
    assert_eq!(p["headers"], json!({"x-other": "1"}));
    assert_eq!(p["version"], "1.1");
    assert!(
        p.get("secret").is_none(),
        "a PATCH answer carries the secret"
    );
    assert_eq!(
        ok(api.get(&format!("{one}/secret")).await)["secret"],
        ep["secret"],
        "PATCH does not touch the secret"
    );
    assert_eq!(ok(api.get(&one).await), p);

    no_content(api.delete(&one).await);
    assert_error(&api.get(&one).await, 404);
    assert_error(&api.delete(&one).await, 404);
    assert_eq!(ids(&ok(api.get(&base).await)), vec![id(&other)]);
    stack.stop().await;
}
