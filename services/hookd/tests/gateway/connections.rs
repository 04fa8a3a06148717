use crate::helpers::*;
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn a_connection_is_created_inline_or_by_ids() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let c = connection(api, "orders", "https://example.com/orders").await;
    let cid = id(&c);
    assert!(cid.starts_with("web_"), "{cid}");
    assert_eq!(c["full_name"], "orders-src -> orders");
    assert_eq!(c["source"]["name"], "orders-src");
    assert!(c["source"]["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/e/{}", id(&c["source"]))));
    assert_eq!(c["destination"]["url"], "https://example.com/orders");
    assert_eq!(c["rules"], json!([]));
    assert!(c["paused_at"].is_null() && c["disabled_at"].is_null());

    // By ids, with rules; the inline source of the same name is reused, not duplicated.
    let by_ids = ok(call(
        api,
        "POST",
        "/connections",
        Some(json!({
            "name": "audit",
            "source_id": id(&c["source"]),
            "destination_id": id(&c["destination"]),
            "rules": [{"type": "filter", "body": {"type": {"$startsWith": "order."}}},
                      {"type": "retry", "strategy": "exponential", "count": 3, "interval": 1000}],
        })),
    )
    .await);
    assert_eq!(by_ids["source"]["id"], c["source"]["id"]);
    assert_eq!(by_ids["rules"][1]["strategy"], "exponential");
    let again = connection(api, "orders2", "https://example.com/o2").await;
    assert_ne!(again["source"]["id"], c["source"]["id"]);
    let reuse = ok(call(
        api,
        "POST",
        "/connections",
        Some(json!({"name": "third", "source": {"name": "orders-src"},
            "destination_id": id(&c["destination"])})),
    )
    .await);
    assert_eq!(reuse["source"]["id"], c["source"]["id"]);

    for body in [
        json!({"name": "x", "destination_id": id(&c["destination"])}),
        json!({"name": "x", "source_id": id(&c["source"]), "source": {"name": "s"},
            "destination_id": id(&c["destination"])}),
        json!({"name": "x", "source_id": "src_nope", "destination_id": id(&c["destination"])}),
        json!({"name": "x", "source_id": id(&c["source"])}),
        json!({"name": "x", "source_id": id(&c["source"]), "destination": {"name": "nourl"}}),
        json!({"name": "x", "source": {"name": "s"}, "destination": {"name": "nourl"}}),
        json!({"name": "x y", "source_id": id(&c["source"]), "destination_id": id(&c["destination"])}),
        json!({"name": "x", "source_id": id(&c["source"]), "destination_id": id(&c["destination"]),
            "rules": [{"type": "filter", "body": {"n": {"$bogus": 1}}}]}),
    ] {
        let r = call(api, "POST", "/connections", Some(body.clone())).await;
        gw_error(&r, 422, "UNPROCESSABLE_ENTITY");
    }
    let transform = call(
        api,
        "POST",
        "/connections",
        Some(json!({"name": "t", "source_id": id(&c["source"]),
            "destination_id": id(&c["destination"]), "rules": [{"type": "transform"}]})),
    )
    .await;
    gw_error(&transform, 422, "UNPROCESSABLE_ENTITY");
    assert_eq!(
        transform.body["message"],
        "transformations are not supported"
    );
    // Names are unique per source.
    let dup = call(
        api,
        "POST",
        "/connections",
        Some(json!({"name": "audit", "source_id": id(&c["source"]),
            "destination_id": id(&c["destination"])})),
    )
    .await;
    gw_error(&dup, 409, "CONFLICT");
    // A failed inline create leaves no source behind.
    let count = ok(call(api, "GET", "/connections/count", None).await);
    assert_eq!(count, json!({"count": 4}));
    let sources = ok(call(api, "GET", "/sources?name=s", None).await);
    assert!(ids(&sources).is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn connections_are_upserted_updated_paused_disabled_and_deleted() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let body = json!({
        "name": "billing",
        "source": {"name": "stripe"},
        "destination": {"name": "billing-api", "url": "https://example.com/b"},
        "rules": [{"type": "delay", "delay": 500}],
    });
    let first = ok(call(api, "PUT", "/connections", Some(body.clone())).await);
    let mut changed = body.clone();
    changed["rules"] =
        json!([{"type": "retry", "strategy": "linear", "count": 2, "interval": 100}]);
    let second = ok(call(api, "PUT", "/connections", Some(changed)).await);
    assert_eq!(id(&first), id(&second));
    assert_eq!(second["rules"][0]["type"], "retry");
    let cid = id(&first);

    let updated = ok(call(
        api,
        "PUT",
        &format!("/connections/{cid}"),
        Some(json!({"name": "billing-v2", "description": "v2", "rules": []})),
    )
    .await);
    assert_eq!(updated["full_name"], "stripe -> billing-v2");
    assert_eq!(updated["rules"], json!([]));
    assert_eq!(updated["description"], "v2");

    let paused = ok(call(api, "PUT", &format!("/connections/{cid}/pause"), None).await);
    assert!(paused["paused_at"].is_string());
    let listed = ok(call(api, "GET", "/connections?paused_at[any]=true", None).await);
    assert_eq!(ids(&listed), vec![cid.clone()]);
    let unpaused = ok(call(api, "PUT", &format!("/connections/{cid}/unpause"), None).await);
    assert!(unpaused["paused_at"].is_null());
    assert!(ids(&ok(call(
        api,
        "GET",
        "/connections?paused_at[any]=true",
        None
    )
    .await))
    .is_empty());

    ok(call(api, "PUT", &format!("/connections/{cid}/disable"), None).await);
    assert_eq!(
        ok(call(api, "GET", "/connections/count", None).await)["count"],
        0
    );
    assert_eq!(
        ok(call(api, "GET", "/connections/count?disabled=true", None).await)["count"],
        1
    );
    ok(call(api, "PUT", &format!("/connections/{cid}/enable"), None).await);

    // Deleting the source drops the connection.
    let sid = id(&first["source"]);
    ok(call(api, "DELETE", &format!("/sources/{sid}"), None).await);
    gw_error(
        &call(api, "GET", &format!("/connections/{cid}"), None).await,
        404,
        "NOT_FOUND",
    );
    let again = connection(api, "x", "https://example.com/x").await;
    let xid = id(&again);
    assert_eq!(
        ok(call(api, "DELETE", &format!("/connections/{xid}"), None).await)["id"],
        xid
    );
    // The source and destination stay.
    ok(call(
        api,
        "GET",
        &format!("/sources/{}", id(&again["source"])),
        None,
    )
    .await);
    ok(call(
        api,
        "GET",
        &format!("/destinations/{}", id(&again["destination"])),
        None,
    )
    .await);
    stack.stop().await;
}
