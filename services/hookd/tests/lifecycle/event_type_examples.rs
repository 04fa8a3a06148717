//! Example payloads per version (issue 17): `examples` holds one per message version, each
//! checked against that version's schema (422 naming the version and the field), kept in
//! agreement when the schemas change, served by GET, exported, and documented in the OpenAPI
//! document.

use crate::helpers::*;
use serde_json::{json, Value};

fn requiring(field: &str, kind: &str) -> Value {
    json!({"type": "object", "required": [field], "properties": {field: {"type": kind}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_per_version_are_checked_against_that_versions_schema() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let types = format!("/api/v1/apps/{}/event_types", f.app_id);
    let schemas = json!({"2.0": requiring("email", "string")});

    // A 2.0 example that only satisfies the default schema is refused, naming 2.0.
    let rows = stack.row_counts().await;
    let r = stack
        .api
        .post(
            &types,
            &json!({"name": "order.paid", "schema": requiring("id", "integer"),
                    "schemas": schemas, "examples": {"2.0": {"id": 1}}}),
        )
        .await;
    assert_error(&r, 422);
    assert!(
        r.body["message"].as_str().unwrap().contains("\"2.0\""),
        "{}",
        r.text
    );
    assert_eq!(r.body["data"]["field"], "examples", "{}", r.text);
    assert_eq!(r.body["data"]["version"], "2.0", "{}", r.text);
    // A version without a schema of its own follows the default schema.
    let r = stack
        .api
        .post(
            &types,
            &json!({"name": "order.paid", "schema": requiring("id", "integer"),
                    "schemas": schemas, "examples": {"1.0": {"email": "a@b.c"}}}),
        )
        .await;
    assert_error(&r, 422);
    assert_eq!(r.body["data"]["version"], "1.0", "{}", r.text);
    stack
        .assert_rows_unchanged(&rows, &[], "refused event types")
        .await;

    let good = json!({"1.0": {"id": 1}, "2.0": {"email": "a@b.c"}});
    let made = created(
        stack
            .api
            .post(
                &types,
                &json!({"name": "order.paid", "schema": requiring("id", "integer"),
                        "schemas": schemas, "example": {"id": 7}, "examples": good}),
            )
            .await,
    );
    assert_eq!(made["examples"], good);
    let path = format!("{types}/order.paid");
    let read = stack.api.get(&path).await;
    assert_eq!(read.body["examples"], good, "{}", read.text);
    assert_eq!(read.body["example"], json!({"id": 7}));
    // Each example is a message its version's schema accepts.
    for (version, data) in good.as_object().unwrap() {
        let r = stack
            .send(
                &f,
                json!({"event_type": "order.paid", "version": version, "data": data}),
            )
            .await;
        assert_eq!(r.status, 202, "{version}: {}", r.text);
    }

    // Schemas that the stored examples break are refused, and nothing changes.
    let r = stack
        .api
        .patch(
            &path,
            &json!({"schemas": {"2.0": requiring("sku", "string")}}),
        )
        .await;
    assert_error(&r, 422);
    assert_eq!(r.body["data"]["version"], "2.0", "{}", r.text);
    let r = stack
        .api
        .patch(&path, &json!({"examples": {"2.0": {"email": 5}}}))
        .await;
    assert_error(&r, 422);
    assert!(
        r.body["message"].as_str().unwrap().contains("/email"),
        "{}",
        r.text
    );
    let read = stack.api.get(&path).await;
    assert_eq!(read.body["examples"], good, "{}", read.text);
    assert_eq!(read.body["schemas"], schemas);

    // Both changed together agree, and are stored; `null` removes the examples.
    let moved = json!({"2.0": {"sku": "x"}});
    let r = stack
        .api
        .patch(
            &path,
            &json!({"schemas": {"2.0": requiring("sku", "string")}, "examples": moved}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["examples"], moved);
    let r = stack.api.patch(&path, &json!({"examples": null})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["examples"], json!({}));
    assert_eq!(
        r.body["example"],
        json!({"id": 7}),
        "the default example stays"
    );
    // An event type made without them shows none.
    let plain = stack.api.get(&format!("{types}/user.created")).await;
    assert_eq!(plain.body["examples"], json!({}), "{}", plain.text);

    // The OpenAPI document describes the field in and out.
    let doc = stack.api.with_key(None).get("/api/v1/openapi.json").await;
    let components = &doc.body["components"]["schemas"];
    for schema in ["CreateEventType", "UpdateEventType", "EventType"] {
        assert!(
            components[schema]["properties"]["examples"].is_object(),
            "{schema} has no examples: {}",
            components[schema]
        );
    }
    stack.stop().await;
}
