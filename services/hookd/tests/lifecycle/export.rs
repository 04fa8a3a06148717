//! Export and import of an app: NDJSON of its resources and history, selectable and by date;
//! an import into another organization's app reproduces event types, subscriptions and
//! endpoints, again is idempotent, and a bad line is a 422 naming it that changes nothing.

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::{ApiClient, ApiResponse};
use serde_json::{json, Value};

/// The export's lines, parsed; asserts the end line counts the others.
pub fn lines(r: &ApiResponse) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.text);
    let content_type = r.headers["content-type"].to_str().unwrap();
    assert_eq!(content_type, "application/x-ndjson");
    let mut out: Vec<Value> = r
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let end = out.pop().expect("an end line");
    assert_eq!(end, json!({"kind": "end", "lines": out.len()}));
    out
}

fn of_kind<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["kind"] == kind).collect()
}

async fn import(api: &ApiClient, app_id: &str, body: String) -> ApiResponse {
    api.raw(
        "POST",
        &format!("/api/v1/apps/{app_id}/import"),
        Some(body.into()),
        &[],
    )
    .await
}

/// What an import must reproduce, without ids and times.
async fn configuration(api: &ApiClient, app_id: &str) -> Value {
    let get = |path: String| {
        let api = api.clone();
        async move {
            let r = api.get(&path).await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.body["models"].as_array().unwrap().clone()
        }
    };
    let mut types: Vec<Value> = get(format!("/api/v1/apps/{app_id}/event_types"))
        .await
        .iter()
        .map(|t| {
            json!([
                t["name"],
                t["description"],
                t["schema"],
                t["example"],
                t["schemas"],
                t["examples"]
            ])
        })
        .collect();
    types.sort_by_key(Value::to_string);
    let mut subs = Vec::new();
    let mut endpoints = Vec::new();
    for s in get(format!("/api/v1/apps/{app_id}/subscriptions")).await {
        subs.push(json!([s["name"], s["metadata"]]));
        let path = format!(
            "/api/v1/subscriptions/{}/endpoints",
            s["id"].as_str().unwrap()
        );
        for e in get(path).await {
            endpoints.push(json!([
                s["name"],
                e["url"],
                e["version"],
                e["status"],
                e["event_types"],
                e["description"],
                e["headers"],
                e["rate_limit"],
                e["filter"]
            ]));
        }
    }
    subs.sort_by_key(Value::to_string);
    endpoints.sort_by_key(Value::to_string);
    json!({"event_types": types, "subscriptions": subs, "endpoints": endpoints})
}

/// An app with event types (a schema, an example, a 2.0 schema and example), two subscriptions and three endpoints of
/// every kind of field, and two delivered messages.
async fn configured(stack: &TestStack) -> Fixture {
    let f = stack.fixture().await;
    let app = &f.app_id;
    created(
        stack
            .api
            .post(
                &format!("/api/v1/apps/{app}/event_types"),
                &json!({"name": "order.paid", "description": "paid",
                        "schema": {"type": "object", "required": ["amount"]},
                        "example": {"amount": 3},
                        "schemas": {"2.0": {"type": "object", "required": ["cents"]}},
                        "examples": {"2.0": {"cents": 300}}}),
            )
            .await,
    );
    stack
        .endpoint(
            &f,
            "/a",
            json!({"headers": {"x-team": "a"}, "rate_limit": 50}),
        )
        .await;
    stack
        .endpoint(
            &f,
            "/b",
            json!({"event_types": ["user.created", "order.paid"], "version": "2.0",
                   "description": "second", "filter": {"data": {"n": {"$gte": 1}}}}),
        )
        .await;
    let other = created(
        stack
            .api
            .post(
                &format!("/api/v1/apps/{app}/subscriptions"),
                &json!({"name": "other", "metadata": {"plan": "pro"}}),
            )
            .await,
    );
    let sub = other["id"].as_str().unwrap();
    created(
        stack
            .api
            .post(
                &format!("/api/v1/subscriptions/{sub}/endpoints"),
                &json!({"url": stack.receiver.url("/c"), "event_types": ["user.deleted"],
                        "status": "disabled"}),
            )
            .await,
    );
    for n in 0..2 {
        let sent = stack
            .send(&f, json!({"event_type": "user.created", "data": {"n": n}}))
            .await;
        assert_eq!(sent.status, 202, "{}", sent.text);
    }
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_imported_into_another_organization_reproduces_the_configuration() {
    let stack = TestStack::spawn().await;
    let f = configured(&stack).await;
    let path = format!("/api/v1/apps/{}/export", f.app_id);
    let all = lines(&stack.api.get(&path).await);
    let kinds: Vec<&str> = all.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    let mut in_order = kinds.clone();
    in_order.sort_by_key(|k| {
        [
            "event_type",
            "subscription",
            "endpoint",
            "message",
            "delivery",
        ]
        .iter()
        .position(|x| x == k)
        .unwrap()
    });
    assert_eq!(kinds, in_order, "kinds written in their fixed order");
    assert_eq!(of_kind(&all, "event_type").len(), 3);
    assert_eq!(of_kind(&all, "subscription").len(), 2);
    assert_eq!(of_kind(&all, "endpoint").len(), 3);
    assert_eq!(of_kind(&all, "message").len(), 2);
    for e in of_kind(&all, "endpoint") {
        assert!(e.get("secret").is_none(), "an export holds no secret: {e}");
        assert!(!e.to_string().contains("whsec_"), "{e}");
    }

    // Selected kinds, and a date range that holds nothing.
    let only = lines(&stack.api.get(&format!("{path}?include=messages")).await);
    assert_eq!(only.len(), 2);
    assert!(only.iter().all(|l| l["kind"] == "message"));
    let later = lines(
        &stack
            .api
            .get(&format!(
                "{path}?include=messages,subscriptions&since=2999-01-01T00:00:00Z"
            ))
            .await,
    );
    assert_eq!(of_kind(&later, "message").len(), 0);
    assert_eq!(
        of_kind(&later, "subscription").len(),
        2,
        "the range selects history only"
    );

    // Another organization: the app is not found, either way.
    let (_, b) = new_org(&stack, "dest").await;
    assert_error(&b.get(&path).await, 404);
    let body: String = all.iter().map(|l| format!("{l}\n")).collect();
    assert_error(&import(&b, &f.app_id, body.clone()).await, 404);

    // Into its own app: the same configuration; history is skipped.
    let app = created(b.post("/api/v1/apps", &json!({"name": "moved"})).await);
    let app_id = app["id"].as_str().unwrap();
    let r = import(&b, app_id, body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let want = json!({
        "event_types": {"created": 3, "existing": 0},
        "subscriptions": {"created": 2, "existing": 0},
        "endpoints": {"created": 3, "existing": 0},
        "skipped_lines": all.len() - 8,
    });
    assert_eq!(r.body, want);
    assert_eq!(
        configuration(&b, app_id).await,
        configuration(&stack.api, &f.app_id).await
    );
    // Imported endpoints have secrets of their own.
    let counts = stack.row_counts().await;
    let again = import(&b, app_id, body).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(
        again.body["endpoints"],
        json!({"created": 0, "existing": 3})
    );
    assert_eq!(
        again.body["event_types"],
        json!({"created": 0, "existing": 3})
    );
    stack
        .assert_rows_unchanged(&counts, &[], "a second import")
        .await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_import_is_a_422_naming_its_line_and_changes_nothing() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let good = [
        json!({"kind": "event_type", "name": "a.new"}),
        json!({"kind": "subscription", "name": "s-new"}),
        // Refers to a subscription and an event type defined later in the file: allowed.
        json!({"kind": "endpoint", "subscription": "s-late", "url": "https://example.com/h",
               "event_types": ["a.late"]}),
        json!({"kind": "subscription", "name": "s-late"}),
        json!({"kind": "event_type", "name": "a.late"}),
    ];
    let body = |bad: Value| -> String {
        let mut lines: Vec<String> = good.iter().map(Value::to_string).collect();
        lines.insert(3, bad.to_string());
        lines.join("\n")
    };
    let counts = stack.row_counts().await;
    for (bad, field) in [
        (json!({"kind": "widget"}), "kind"),
        (json!({"kind": "event_type", "name": "bad name!"}), "name"),
        (
            json!({"kind": "subscription", "name": "x", "metadata": [1]}),
            "metadata",
        ),
        (
            json!({"kind": "endpoint", "subscription": "nope", "url": "https://e.com",
                   "event_types": ["a.new"]}),
            "subscription",
        ),
        (
            json!({"kind": "endpoint", "subscription": "s-new", "url": "https://e.com",
                   "event_types": ["never.defined"]}),
            "event_types",
        ),
        (
            json!({"kind": "endpoint", "subscription": "s-new", "url": "https://e.com",
                   "event_types": ["a.new"], "secret": "not-a-secret"}),
            "secret",
        ),
    ] {
        let r = import(&stack.api, &f.app_id, body(bad.clone())).await;
        assert_error(&r, 422);
        assert_eq!(r.body["data"]["line"], 4, "{bad}: {}", r.text);
        assert!(r.text.contains(field), "{bad}: {}", r.text);
        stack
            .assert_rows_unchanged(&counts, &[], "a refused import")
            .await;
    }
    let r = import(
        &stack.api,
        &f.app_id,
        format!("{}\n{{not json", body(json!({}))),
    )
    .await;
    assert_error(&r, 422);
    stack
        .assert_rows_unchanged(&counts, &[], "a refused import")
        .await;

    // The good lines alone import, the endpoint with the secret it was given.
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let mut lines: Vec<Value> = good.to_vec();
    lines[2]["secret"] = json!(secret);
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    let r = import(&stack.api, &f.app_id, text.join("\n")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["endpoints"]["created"], 1, "{}", r.text);
    let db = stack.db().await;
    let (sub, id): (uuid::Uuid, uuid::Uuid) = {
        let row = db
            .query_one("SELECT subscription_id, id FROM endpoints", &[])
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    let got = stack
        .api
        .get(&format!(
            "/api/v1/subscriptions/{sub}/endpoints/{id}/secret"
        ))
        .await;
    assert_eq!(got.body["secret"], secret, "{}", got.text);
    stack.stop().await;
}
