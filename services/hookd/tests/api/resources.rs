//! Create, get, list, patch and delete of every resource, as API.md lists them, with the
//! list filters of each.

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::Behavior;
use serde_json::{json, Value};
use std::time::Duration;

/// Asserts a 204 with an empty body.
fn no_content(r: hookd_testkit::ApiResponse) {
    assert_eq!(r.status, 204, "expected 204, got {}: {}", r.status, r.text);
    assert!(r.text.is_empty(), "204 with a body: {}", r.text);
}

/// The RFC 3339 time of `v[field]`, parsed.
fn time(v: &Value, field: &str) -> chrono::DateTime<chrono::Utc> {
    v[field]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .unwrap_or_else(|| panic!("{field} is not an RFC 3339 time in {v}"))
        .with_timezone(&chrono::Utc)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_send_alias_direct_list_get_and_filters() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let f = stack.fixture().await;
    let a = stack
        .endpoint(
            &f,
            "/a",
            json!({"event_types": ["user.created", "user.deleted"]}),
        )
        .await;
    let b = stack
        .endpoint(&f, "/b", json!({"event_types": ["user.created"]}))
        .await;
    let base = format!("/api/v1/apps/{}/messages", f.app_id);

    let m1 = api
        .post(&base, &json!({"event_type": "user.created", "data": {"id": 1}, "event_id": "evt-1", "version": "1.0"}))
        .await;
    assert_eq!(m1.status, 202, "{}", m1.text);
    let m1 = m1.body;
    assert_eq!(
        m1.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "created_at",
            "data",
            "event_id",
            "event_type",
            "id",
            "version"
        ]
    );
    // The alias sends the same way; version defaults to 1.0.
    let m2 = api
        .post(
            &format!("/api/v1/app/{}/messages", f.app_id),
            &json!({"event_type": "user.deleted", "data": [1, 2]}),
        )
        .await;
    assert_eq!(m2.status, 202, "{}", m2.text);
    let m2 = m2.body;
    assert_eq!(m2["version"], "1.0");
    assert_eq!(m2["event_id"], Value::Null);
    // Direct send: to that endpoint only.
    let direct = api
        .post(
            &format!(
                "/api/v1/subscriptions/{}/endpoints/{}/messages",
                f.subscription_id,
                id(&b)
            ),
            &json!({"event_type": "user.created", "data": "only b"}),
        )
        .await;
    assert_eq!(direct.status, 202, "{}", direct.text);
    let m3 = direct.body;
    // Idempotency: the same event_id answers 200 with the first message.
    let again = api
        .post(
            &base,
            &json!({"event_type": "user.created", "data": {"id": 999}, "event_id": "evt-1"}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body, m1);

    assert_eq!(
        ok(api.get(&format!("/api/v1/messages/{}", id(&m1))).await),
        m1
    );
    let listed = ok(api.get(&base).await);
    assert_eq!(ids(&listed), vec![id(&m3), id(&m2), id(&m1)]);
    assert_eq!(listed["models"][2], m1);
    assert_eq!(
        ids(&ok(api
            .get(&format!("{base}?event_type=user.deleted"))
            .await)),
        vec![id(&m2)]
    );
    assert_eq!(
        ids(&ok(api.get(&format!("{base}?event_id=evt-1")).await)),
        vec![id(&m1)]
    );
    let since = m2["created_at"].as_str().unwrap();
    assert_eq!(
        ids(&ok(api
            .get(&format!("{base}?created_at[gte]={since}"))
            .await)),
        vec![id(&m3), id(&m2)]
    );
    assert_eq!(
        ids(&ok(api
            .get(&format!("{base}?created_at[gt]={since}"))
            .await)),
        vec![id(&m3)]
    );
    assert_eq!(
        ids(&ok(api
            .get(&format!("{base}?created_at[lte]={since}&dir=asc"))
            .await)),
        vec![id(&m1), id(&m2)]
    );
    assert_eq!(
        ids(&ok(api
            .get(&format!("{base}?created_at[lt]={since}"))
            .await)),
        vec![id(&m1)]
    );
    assert_eq!(
        ok(api
            .get(&format!("{base}?created_at[gte]=2999-01-01T00:00:00Z"))
            .await)["count"],
        0
    );
    assert_eq!(
        ids(&ok(api
            .get(&format!(
                "{base}?event_type=user.created&created_at[gte]={since}"
            ))
            .await)),
        vec![id(&m3)]
    );

    // Deliveries: m1 to a and b, m2 to a, m3 to b only; nothing more.
    let delivered = |path: &'static str, n: usize| {
        let r = stack.receiver.clone();
        async move {
            assert!(
                r.wait_for(Duration::from_secs(15), |got| got
                    .iter()
                    .filter(|g| g.path == path)
                    .count()
                    >= n)
                    .await
            );
        }
    };
    delivered("/a", 2).await;
    delivered("/b", 2).await;
    for (m, n) in [(&m1, 2), (&m2, 1), (&m3, 1)] {
        let ds = stack
            .eventually(
                &format!("/api/v1/messages/{}/deliveries", id(m)),
                Duration::from_secs(15),
                |b| {
                    b["count"] == n
                        && b["models"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .all(|d| d["status"] == "succeeded")
                },
            )
            .await;
        assert_eq!(ds["count"], n);
    }
    let to_b = ok(api
        .get(&format!("/api/v1/endpoints/{}/deliveries", id(&b)))
        .await);
    let mut got: Vec<&str> = to_b["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message_id"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want = vec![m1["id"].as_str().unwrap(), m3["id"].as_str().unwrap()];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(stack.receiver.received_at("/a").len(), 2);
    assert_eq!(
        ok(api
            .get(&format!("/api/v1/endpoints/{}/deliveries", id(&a)))
            .await)["count"],
        2
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_and_attempts_list_filter_and_retry() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let f = stack.fixture().await;
    // /bad always fails (3 tries in the test schedule), /good succeeds at once.
    stack.receiver.set(
        "/bad",
        Behavior::Respond {
            status: 500,
            body: "boom".into(),
            headers: vec![],
        },
    );
    let bad = stack
        .endpoint(
            &f,
            "/bad",
            json!({"event_types": ["user.created", "user.deleted"]}),
        )
        .await;
    let good = stack
        .endpoint(&f, "/good", json!({"event_types": ["user.created"]}))
        .await;
    let m1 = id(&stack
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await
        .body);
    let m2 = id(&stack
        .send(&f, json!({"event_type": "user.deleted", "data": {"n": 2}}))
        .await
        .body);

    let bad_deliveries = format!("/api/v1/endpoints/{}/deliveries", id(&bad));
    let failed = stack
        .eventually(&bad_deliveries, Duration::from_secs(20), |b| {
            b["count"] == 2
                && b["models"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|d| d["status"] == "failed")
        })
        .await;
    for d in failed["models"].as_array().unwrap() {
        assert_eq!(d["attempt_count"], 3, "{d}");
        assert_eq!(d["endpoint_id"], bad["id"]);
        assert_eq!(d["next_attempt_at"], Value::Null, "{d}");
    }
    let good_deliveries = format!("/api/v1/endpoints/{}/deliveries", id(&good));
    stack
        .eventually(&good_deliveries, Duration::from_secs(15), |b| {
            b["models"][0]["status"] == "succeeded"
        })
        .await;
    // Filters: status, event_type, endpoint_id.
    let by_m1 = format!("/api/v1/messages/{m1}/deliveries");
    assert_eq!(ok(api.get(&by_m1).await)["count"], 2);
    let failed_m1 = ok(api.get(&format!("{by_m1}?status=failed")).await);
    assert_eq!(failed_m1["count"], 1);
    assert_eq!(failed_m1["models"][0]["endpoint_id"], bad["id"]);
    assert_eq!(
        ok(api.get(&format!("{by_m1}?status=succeeded")).await)["models"][0]["endpoint_id"],
        good["id"]
    );
    assert_eq!(
        ok(api.get(&format!("{by_m1}?status=pending")).await)["count"],
        0
    );
    assert_eq!(
        ok(api.get(&format!("{by_m1}?endpoint_id={}", id(&good))).await)["count"],
        1
    );
    let deleted = ok(api
        .get(&format!("{bad_deliveries}?event_type=user.deleted"))
        .await);
    assert_eq!(deleted["count"], 1);
    assert_eq!(deleted["models"][0]["message_id"], json!(m2));

    // Attempts: one per try, by delivery and by endpoint.
    let d1 = failed_m1["models"][0].clone();
    let attempts = ok(api
        .get(&format!("/api/v1/deliveries/{}/attempts", id(&d1)))
        .await);
    assert_eq!(attempts["count"], 3);
    for a in attempts["models"].as_array().unwrap() {
        assert_eq!(a["response_status"], 500, "{a}");
        assert_eq!(a["response_body"], "boom");
        assert_eq!(a["delivery_id"], d1["id"]);
        assert!(a["duration_ms"].as_i64().is_some_and(|d| d >= 0), "{a}");
        time(a, "created_at");
    }
    assert_eq!(
        ok(api
            .get(&format!("/api/v1/endpoints/{}/attempts", id(&bad)))
            .await)["count"],
        6
    );
    assert_eq!(
        ok(api
            .get(&format!(
                "/api/v1/endpoints/{}/attempts?delivery_id={}",
                id(&bad),
                id(&d1)
            ))
            .await)["count"],
        3
    );
    assert_eq!(
        ok(api
            .get(&format!(
                "/api/v1/endpoints/{}/attempts?message_id={m2}",
                id(&bad)
            ))
            .await)["count"],
        3
    );
    assert_eq!(
        ok(api
            .get(&format!("/api/v1/endpoints/{}/attempts", id(&good)))
            .await)["count"],
        1,
        "good only receives user.created"
    );
    // Numeric filters, with operators.
    let d1_attempts = format!("/api/v1/deliveries/{}/attempts", id(&d1));
    let count = |query: String| {
        let api = api.clone();
        async move { ok(api.get(&query).await)["count"].as_u64().unwrap() }
    };
    assert_eq!(
        count(format!("{d1_attempts}?response_status[gte]=500")).await,
        3
    );
    assert_eq!(
        count(format!("{d1_attempts}?response_status[lt]=500")).await,
        0
    );
    assert_eq!(count(format!("{d1_attempts}?response_status=500")).await, 3);
    assert_eq!(count(format!("{d1_attempts}?attempt[gt]=1")).await, 2);
    assert_eq!(
        count(format!("{d1_attempts}?attempt[lte]=1&duration_ms[gte]=0")).await,
        1
    );
    assert_eq!(
        count(format!("{bad_deliveries}?attempt_count[gte]=3")).await,
        2
    );
    assert_eq!(
        count(format!("{bad_deliveries}?attempt_count[lt]=3")).await,
        0
    );
    assert_eq!(count(format!("{good_deliveries}?attempt_count=1")).await, 1);
    assert_error(
        &api.get(&format!("{d1_attempts}?response_status[gte]=5xx"))
            .await,
        422,
    );
    assert_error(
        &api.get(&format!("{bad_deliveries}?attempt_count=1.5"))
            .await,
        422,
    );

    // Retry one: 202 with the delivery pending again, then it succeeds once /bad recovers.
    stack.receiver.set("/bad", Behavior::Status(200));
    let r = api
        .post(&format!("/api/v1/deliveries/{}/retry", id(&d1)), &json!({}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["id"], d1["id"]);
    assert_eq!(r.body["status"], "pending");
    stack
        .eventually(
            &format!("{by_m1}?status=succeeded"),
            Duration::from_secs(15),
            |b| b["count"] == 2,
        )
        .await;
    assert_eq!(
        ok(api
            .get(&format!("/api/v1/deliveries/{}/attempts", id(&d1)))
            .await)["count"],
        4
    );

    // Bulk retry with a filter: only the failed delivery of m2 matches.
    let bulk = format!("/api/v1/apps/{}/deliveries/retry", f.app_id);
    let r = api
        .post(
            &bulk,
            &json!({"status": "failed", "event_type": "user.created"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body, json!({"count": 0}));
    let r = api
        .post(&bulk, &json!({"status": "failed", "endpoint_id": id(&bad), "created_at": {"gte": "2000-01-01T00:00:00Z", "lte": "2999-01-01T00:00:00Z"}}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body, json!({"count": 1}));
    stack
        .eventually(
            &format!("{bad_deliveries}?status=succeeded"),
            Duration::from_secs(15),
            |b| b["count"] == 2,
        )
        .await;
    assert_eq!(
        ok(api.get(&format!("{bad_deliveries}?status=failed")).await)["count"],
        0
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_a_delivery_while_a_try_is_in_flight_is_409() {
    let stack = TestStack::spawn_with(|s| s.delivery.timeout = Duration::from_secs(30)).await;
    let api = &stack.api;
    let f = stack.fixture().await;
    // The endpoint holds the first try for a while before answering 200.
    stack
        .receiver
        .set("/slow", Behavior::Delay(Duration::from_secs(4)));
    stack.endpoint(&f, "/slow", json!({})).await;
    let message = id(&stack
        .send(&f, json!({"event_type": "user.created", "data": {}}))
        .await
        .body);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |got| !got.is_empty())
            .await
    );
    let deliveries = ok(api
        .get(&format!("/api/v1/messages/{message}/deliveries"))
        .await);
    let delivery = id(&deliveries["models"][0]);
    let retry = format!("/api/v1/deliveries/{delivery}/retry");
    let r = api.raw("POST", &retry, None, &[]).await;
    assert_error(&r, 409);
    // Once the try is over, a retry is accepted and sends again.
    stack
        .eventually(
            &format!("/api/v1/messages/{message}/deliveries"),
            Duration::from_secs(20),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    stack.receiver.set("/slow", Behavior::Status(200));
    let r = api.raw("POST", &retry, None, &[]).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |got| got.len() >= 2)
            .await,
        "the retry was not sent"
    );
    stack
        .eventually(
            &format!("/api/v1/deliveries/{delivery}/attempts"),
            Duration::from_secs(15),
            |b| b["count"] == 2,
        )
        .await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_send_reaches_that_endpoint_only_whatever_its_event_types() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let a = stack.endpoint(&f, "/a", json!({})).await;
    stack.endpoint(&f, "/b", json!({})).await;
    // Both endpoints receive user.created only; the direct send is a user.deleted.
    let r = stack
        .api
        .post(
            &format!(
                "/api/v1/subscriptions/{}/endpoints/{}/messages",
                f.subscription_id,
                id(&a)
            ),
            &json!({"event_type": "user.deleted", "data": {"n": 1}}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let message = id(&r.body);
    // Deliveries are recorded when the message is routed, all at once.
    let deliveries = stack
        .eventually(
            &format!("/api/v1/messages/{message}/deliveries"),
            Duration::from_secs(15),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    assert_eq!(deliveries["count"], 1, "{deliveries}");
    assert_eq!(deliveries["models"][0]["endpoint_id"], a["id"]);
    assert_eq!(stack.receiver.received_at("/a").len(), 1);
    assert!(stack.receiver.received_at("/b").is_empty());
    stack.stop().await;
}
