//! The routes: shape of a task, validation, listing, cancel, tenancy, OpenAPI.

use crate::helpers::*;
use crate::support::*;
use chrono::{Duration as Span, FixedOffset, Utc};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_is_created_with_the_hostedhooks_shape_in_utc() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    // Whole microseconds, as stored.
    let at =
        chrono::DateTime::from_timestamp_micros((Utc::now() + Span::hours(3)).timestamp_micros())
            .unwrap();
    let in_tokyo = at.with_timezone(&FixedOffset::east_opt(9 * 3600).unwrap());
    let task = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "scheduled_run_time": in_tokyo.to_rfc3339(),
               "data": {"email": "a@b.c"}}),
    )
    .await;
    let keys: Vec<&str> = task
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut keys = keys;
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "data",
            "endpoint_id",
            "event_type",
            "id",
            "scheduled_run_time",
            "status"
        ]
    );
    assert_eq!(task["event_type"], "user.created");
    assert_eq!(task["status"], Value::Null);
    assert_eq!(task["endpoint_id"], Value::Null);
    assert_eq!(task["data"], json!({"email": "a@b.c"}));
    let stored = task["scheduled_run_time"].as_str().unwrap();
    assert!(stored.ends_with('Z'), "not answered in UTC: {stored}");
    assert_eq!(time(&task["scheduled_run_time"]), at.with_timezone(&Utc));
    assert!(id_of(&task).get_version_num() == 7);

    // The basic offset form of ISO 8601 is accepted as well.
    let basic = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "scheduled_run_time": "2030-06-01T09:30:00+0200",
               "data": [1, 2]}),
    )
    .await;
    assert_eq!(basic["scheduled_run_time"], "2030-06-01T07:30:00Z");

    // Without a time it runs now: scheduled when it was created.
    let now = create_task(
        &stack,
        &f,
        json!({"event_type": "user.deleted", "data": "x"}),
    )
    .await;
    assert_eq!(now["scheduled_run_time"], now["created_at"]);

    let got = stack
        .api
        .get(&format!("/api/v1/tasks/{}", id_of(&task)))
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body, task);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let path = format!("/api/v1/apps/{}/tasks", f.app_id);
    let before = stack.row_counts().await;
    for (body, field) in [
        (json!({"data": {}}), "event_type"),
        (json!({"event_type": "", "data": {}}), "event_type"),
        (json!({"event_type": 7, "data": {}}), "event_type"),
        (json!({"event_type": "user.created"}), "data"),
        (json!({"event_type": "user.created", "data": null}), "data"),
        (
            json!({"event_type": "user.created", "data": {}, "scheduled_run_time": "tomorrow"}),
            "scheduled_run_time",
        ),
        (
            json!({"event_type": "user.created", "data": {}, "scheduled_run_time": "2026-13-01T09:00:00Z"}),
            "scheduled_run_time",
        ),
        // No offset: ambiguous, refused rather than guessed.
        (
            json!({"event_type": "user.created", "data": {}, "scheduled_run_time": "2026-12-01T09:00:00"}),
            "scheduled_run_time",
        ),
        (
            json!({"event_type": "user.created", "data": {}, "scheduled_run_time": 1764579600}),
            "scheduled_run_time",
        ),
    ] {
        let r = stack.api.post(&path, &body).await;
        assert_error(&r, 422);
        assert_eq!(r.body["data"]["field"], field, "{body}: {}", r.text);
    }
    for raw in ["[1, 2]", "\"task\"", "{not json"] {
        let r = stack
            .api
            .raw("POST", &path, Some(raw.to_owned().into()), &[])
            .await;
        assert_error(&r, 400);
    }
    // Nothing was stored by any of them.
    let list = stack.api.get(&path).await;
    assert_eq!(list.body["count"], 0, "{}", list.text);
    stack
        .assert_rows_unchanged(&before, &[], "a refused task")
        .await;

    // A data that breaks the event type's schema is refused now rather than delivered later.
    let r = stack
        .api
        .post(
            &format!("/api/v1/apps/{}/event_types", f.app_id),
            &json!({"name": "order.paid", "schema": {"type": "object", "required": ["amount"]}}),
        )
        .await;
    created(r);
    let r = stack
        .api
        .post(
            &path,
            &json!({"event_type": "order.paid", "data": {"currency": "EUR"}}),
        )
        .await;
    assert_error(&r, 422);
    create_task(
        &stack,
        &f,
        json!({"event_type": "order.paid", "data": {"amount": 3}}),
    )
    .await;

    let unknown = uuid::Uuid::now_v7();
    assert_error(
        &stack
            .api
            .post(
                &format!("/api/v1/apps/{unknown}/tasks"),
                &json!({"event_type": "a", "data": 1}),
            )
            .await,
        404,
    );
    assert_error(
        &stack.api.get(&format!("/api/v1/tasks/{unknown}")).await,
        404,
    );
    assert_error(
        &stack.api.delete(&format!("/api/v1/tasks/{unknown}")).await,
        404,
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organization_sees_no_task() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let task = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {}, "scheduled_run_time": "2099-01-01T00:00:00Z"}),
    )
    .await;
    let org = created(
        stack
            .api
            .post("/api/v1/organizations", &json!({"name": unique("org")}))
            .await,
    );
    let other = stack.api.with_key(Some(org["api_key"].as_str().unwrap()));
    let id = id_of(&task);
    assert_error(&other.get(&format!("/api/v1/tasks/{id}")).await, 404);
    assert_error(&other.delete(&format!("/api/v1/tasks/{id}")).await, 404);
    let apps_tasks = format!("/api/v1/apps/{}/tasks", f.app_id);
    assert_error(&other.get(&apps_tasks).await, 404);
    assert_error(
        &other
            .post(
                &apps_tasks,
                &json!({"event_type": "user.created", "data": {}}),
            )
            .await,
        404,
    );
    // Still there, still waiting.
    let mine = stack.api.get(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(mine.body["status"], Value::Null, "{}", mine.text);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_task_is_cancelled_once() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let task = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"n": 1}, "scheduled_run_time": iso(Utc::now() + Span::hours(1))}),
    )
    .await;
    let id = id_of(&task);
    let r = stack.api.delete(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(r.body["id"], task["id"]);
    assert_eq!(r.body["data"], task["data"]);
    let again = stack.api.delete(&format!("/api/v1/tasks/{id}")).await;
    assert_error(&again, 409);
    assert_eq!(again.body["data"]["status"], "cancelled");
    let got = stack.api.get(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(got.body["status"], "cancelled");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_listed_with_filters_and_cursors() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let base = Utc::now() + Span::days(1);
    let mut made = Vec::new();
    for (i, event_type) in [
        "user.created",
        "user.deleted",
        "user.created",
        "user.created",
    ]
    .iter()
    .enumerate()
    {
        made.push(
            create_task(
                &stack,
                &f,
                json!({"event_type": event_type, "data": {"n": i},
                       "scheduled_run_time": iso(base + Span::hours(i as i64))}),
            )
            .await,
        );
    }
    let cancelled = id_of(&made[3]);
    assert_eq!(
        stack
            .api
            .delete(&format!("/api/v1/tasks/{cancelled}"))
            .await
            .status,
        200
    );
    let path = format!("/api/v1/apps/{}/tasks", f.app_id);
    let ids = |v: &Value| -> Vec<String> {
        v["models"]
            .as_array()
            .unwrap_or_else(|| panic!("not a list: {v}"))
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let id = |i: usize| made[i]["id"].as_str().unwrap().to_owned();

    let all = stack.api.get(&path).await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(
        ids(&all.body),
        [id(3), id(2), id(1), id(0)],
        "newest first by default"
    );
    assert_eq!(all.body["pagination"]["order_by"], "created_at");

    let created_type = stack
        .api
        .get(&format!("{path}?event_type=user.created&dir=asc"))
        .await;
    assert_eq!(ids(&created_type.body), [id(0), id(2), id(3)]);

    let later = iso(base + Span::hours(1));
    let window = stack
        .api
        .get(&format!(
            "{path}?scheduled_run_time[gte]={}&scheduled_run_time[lt]={}&dir=asc",
            later,
            iso(base + Span::hours(3))
        ))
        .await;
    assert_eq!(ids(&window.body), [id(1), id(2)], "{}", window.text);

    let waiting = stack.api.get(&format!("{path}?status=null&dir=asc")).await;
    assert_eq!(ids(&waiting.body), [id(0), id(1), id(2)]);
    let cancelled_only = stack.api.get(&format!("{path}?status=cancelled")).await;
    assert_eq!(ids(&cancelled_only.body), [id(3)]);

    let first = stack.api.get(&format!("{path}?limit=3&dir=asc")).await;
    assert_eq!(ids(&first.body), [id(0), id(1), id(2)]);
    let next = first.body["pagination"]["next"]
        .as_str()
        .expect("a next cursor");
    let second = stack
        .api
        .get(&format!("{path}?limit=3&dir=asc&next={next}"))
        .await;
    assert_eq!(ids(&second.body), [id(3)]);
    assert_eq!(second.body["pagination"]["next"], Value::Null);

    assert_error(
        &stack
            .api
            .get(&format!("{path}?created_at[gte]=yesterday"))
            .await,
        422,
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_routes_are_in_the_openapi_document() {
    let stack = TestStack::spawn().await;
    let doc = stack.api.with_key(None).get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, 200);
    let paths = &doc.body["paths"];
    let apps_tasks = &paths["/api/v1/apps/{app_id}/tasks"];
    assert!(apps_tasks["post"].is_object(), "{}", doc.text);
    assert!(apps_tasks["get"].is_object());
    assert!(apps_tasks["post"]["responses"]["201"].is_object());
    let one = &paths["/api/v1/tasks/{task_id}"];
    assert!(one["get"].is_object());
    assert!(one["delete"]["responses"]["409"].is_object());
    assert!(doc.body["components"]["schemas"]["Task"].is_object());
    stack.stop().await;
}
