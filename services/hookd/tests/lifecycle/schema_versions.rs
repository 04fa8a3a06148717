//! Per-version event type schemas (issue 17): a message of a version with its own schema is
//! checked against it (422 naming the version), any other version against the default
//! `schema`; bad schemas are refused and change nothing.

use crate::helpers::*;
use serde_json::{json, Value};

fn requiring(field: &str, kind: &str) -> Value {
    json!({"type": "object", "required": [field], "properties": {field: {"type": kind}}})
}

async fn send(
    stack: &TestStack,
    f: &Fixture,
    version: &str,
    data: Value,
) -> hookd_testkit::ApiResponse {
    stack
        .send(
            f,
            json!({"event_type": "order.paid", "version": version, "data": data}),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_is_checked_against_the_schema_of_its_version() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let types = format!("/api/v1/apps/{}/event_types", f.app_id);

    // Invalid per-version schemas are refused and nothing is stored.
    let rows = stack.row_counts().await;
    for bad in [
        json!({"2.0": {"type": 12}}),
        json!({"": requiring("email", "string")}),
        json!({"2.0": "not a schema object"}),
        json!(["2.0"]),
    ] {
        let r = stack
            .api
            .post(&types, &json!({"name": "order.paid", "schemas": bad}))
            .await;
        assert_error(&r, 422);
    }
    stack
        .assert_rows_unchanged(&rows, &[], "refused event types")
        .await;

    let created = created(
        stack
            .api
            .post(
                &types,
                &json!({"name": "order.paid", "schema": requiring("id", "integer"),
                        "schemas": {"2.0": requiring("email", "string")}}),
            )
            .await,
    );
    assert_eq!(created["schemas"]["2.0"], requiring("email", "string"));
    let read = stack.api.get(&format!("{types}/order.paid")).await;
    assert_eq!(read.body["schemas"], created["schemas"], "{}", read.text);
    assert_eq!(read.body["schema"], requiring("id", "integer"));

    // 1.0 (and any version without its own schema) follows the default schema.
    assert_eq!(send(&stack, &f, "1.0", json!({"id": 1})).await.status, 202);
    assert_eq!(send(&stack, &f, "3.0", json!({"id": 1})).await.status, 202);
    let r = send(&stack, &f, "1.0", json!({"email": "a@b.c"})).await;
    assert_error(&r, 422);
    assert!(
        r.body.get("data").and_then(|d| d.get("version")).is_none(),
        "{}",
        r.text
    );
    // 2.0 follows its own.
    assert_eq!(
        send(&stack, &f, "2.0", json!({"email": "a@b.c"}))
            .await
            .status,
        202
    );
    let rows = stack.row_counts().await;
    let r = send(&stack, &f, "2.0", json!({"id": 1})).await;
    assert_error(&r, 422);
    assert!(
        r.body["message"].as_str().unwrap().contains("version 2.0"),
        "{}",
        r.text
    );
    assert_eq!(r.body["data"]["version"], "2.0", "{}", r.text);
    stack
        .assert_rows_unchanged(&rows, &[], "a refused message")
        .await;

    // A PATCH replaces the per-version schemas: 2.0 now follows the default, 3.0 its own.
    let path = format!("{types}/order.paid");
    let r = stack
        .api
        .patch(
            &path,
            &json!({"schemas": {"3.0": requiring("sku", "string")}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["schemas"],
        json!({"3.0": requiring("sku", "string")})
    );
    assert_error(
        &send(&stack, &f, "2.0", json!({"email": "a@b.c"})).await,
        422,
    );
    assert_eq!(send(&stack, &f, "2.0", json!({"id": 2})).await.status, 202);
    assert_error(&send(&stack, &f, "3.0", json!({"id": 2})).await, 422);
    assert_eq!(
        send(&stack, &f, "3.0", json!({"sku": "x"})).await.status,
        202
    );
    // A bad one is refused and the stored ones stay.
    assert_error(
        &stack
            .api
            .patch(&path, &json!({"schemas": {"4.0": {"type": "nope"}}}))
            .await,
        422,
    );
    let read = stack.api.get(&path).await;
    assert_eq!(
        read.body["schemas"],
        json!({"3.0": requiring("sku", "string")})
    );
    // `null` removes them all; the default schema stays.
    let r = stack.api.patch(&path, &json!({"schemas": null})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["schemas"], json!({}));
    assert_eq!(r.body["schema"], requiring("id", "integer"));
    assert_error(&send(&stack, &f, "3.0", json!({"sku": "x"})).await, 422);
    // An event type made without them shows none.
    let plain = stack.api.get(&format!("{types}/user.created")).await;
    assert_eq!(plain.body["schemas"], json!({}), "{}", plain.text);
    stack.stop().await;
}
