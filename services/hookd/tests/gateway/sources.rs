use crate::helpers::*;
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn sources_are_created_read_updated_disabled_and_deleted() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let created = ok(call(
        api,
        "POST",
        "/sources",
        Some(json!({
            "name": "shop",
            "description": "orders",
            "verification": {"type": "hmac", "configs": {
                "webhook_secret_key": "very-secret-key", "header_key": "x-sig"}},
        })),
    )
    .await);
    let sid = id(&created);
    assert!(sid.starts_with("src_"), "{sid}");
    assert_eq!(created["url"], json!(format!("{}/e/{sid}", stack.base)));
    assert_eq!(created["verification"], json!({"type": "HMAC"}));
    assert_eq!(
        created["allowed_http_methods"],
        json!(["POST", "PUT", "PATCH", "DELETE"])
    );
    assert!(created["team_id"].is_string() && created["disabled_at"].is_null());

    // Configs only on request; sealed at rest.
    let plain = ok(call(api, "GET", &format!("/sources/{sid}"), None).await);
    assert!(plain["verification"].get("configs").is_none(), "{plain}");
    let full = ok(call(
        api,
        "GET",
        &format!("/sources/{sid}?include=verification.configs"),
        None,
    )
    .await);
    assert_eq!(
        full["verification"]["configs"]["webhook_secret_key"],
        "very-secret-key"
    );
    assert_eq!(full["verification"]["configs"]["algorithm"], "sha256");
    let stored: String = stack
        .db()
        .await
        .query_one("SELECT verification_configs FROM gw_sources", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        !stored.contains("very-secret-key"),
        "configs stored in clear: {stored}"
    );

    // Partial update: the rest stays.
    let updated = ok(call(
        api,
        "PUT",
        &format!("/sources/{sid}"),
        Some(
            json!({"allowed_http_methods": ["post", "GET", "POST"], "custom_response":
            {"content_type": "text", "body": "thanks"}}),
        ),
    )
    .await);
    assert_eq!(updated["name"], "shop");
    assert_eq!(updated["description"], "orders");
    assert_eq!(updated["allowed_http_methods"], json!(["POST", "GET"]));
    assert_eq!(updated["custom_response"]["body"], "thanks");
    let cleared = ok(call(
        api,
        "PUT",
        &format!("/sources/{sid}"),
        Some(json!({"description": null, "verification": null})),
    )
    .await);
    assert!(cleared["description"].is_null() && cleared["verification"].is_null());

    // disable/enable and the older archive/unarchive; disabled ones listed on request only.
    for (action, disabled) in [("disable", true), ("enable", false), ("archive", true)] {
        let s = ok(call(api, "PUT", &format!("/sources/{sid}/{action}"), None).await);
        assert_eq!(s["disabled_at"].is_string(), disabled, "{action}: {s}");
    }
    assert!(ids(&ok(call(api, "GET", "/sources", None).await)).is_empty());
    let all = ok(call(api, "GET", "/sources?disabled=true", None).await);
    assert_eq!(ids(&all), vec![sid.clone()]);
    ok(call(api, "PUT", &format!("/sources/{sid}/unarchive"), None).await);
    gw_error(
        &call(api, "PUT", &format!("/sources/{sid}/explode"), None).await,
        404,
        "NOT_FOUND",
    );

    let deleted = ok(call(api, "DELETE", &format!("/sources/{sid}"), None).await);
    assert_eq!(deleted, json!({"id": sid}));
    gw_error(
        &call(api, "GET", &format!("/sources/{sid}"), None).await,
        404,
        "NOT_FOUND",
    );
    gw_error(
        &call(api, "DELETE", &format!("/sources/{sid}"), None).await,
        404,
        "NOT_FOUND",
    );
    stack.stop().await;
}

#[tokio::test]
async fn put_on_the_collection_upserts_by_name() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let first = ok(call(api, "PUT", "/sources", Some(json!({"name": "gh"}))).await);
    let second = ok(call(
        api,
        "PUT",
        "/sources",
        Some(json!({"name": "gh", "verification": {"type": "GITHUB",
            "configs": {"webhook_secret_key": "s"}}})),
    )
    .await);
    assert_eq!(id(&first), id(&second));
    assert_eq!(second["verification"]["type"], "GITHUB");
    assert_eq!(ids(&ok(call(api, "GET", "/sources", None).await)).len(), 1);
    gw_error(
        &call(api, "PUT", "/sources", Some(json!({}))).await,
        422,
        "UNPROCESSABLE_ENTITY",
    );
    stack.stop().await;
}

#[tokio::test]
async fn bad_source_input_is_refused_and_changes_nothing() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    ok(call(api, "POST", "/sources", Some(json!({"name": "taken"}))).await);
    let bad_json = api
        .raw(
            "POST",
            &format!("{BASE}/sources"),
            Some("{nope".into()),
            &[],
        )
        .await;
    gw_error(&bad_json, 400, "BAD_REQUEST");
    for body in [
        json!({}),
        json!({"name": "has space"}),
        json!({"name": "x".repeat(156)}),
        json!({"name": 5}),
        json!({"name": "v", "verification": {"type": "PAYPAL", "configs": {}}}),
        json!({"name": "v", "verification": {"type": "HMAC", "configs": {"webhook_secret_key": "k"}}}),
        json!({"name": "v", "verification": {"type": "BASIC_AUTH", "configs": {"username": "u"}}}),
        json!({"name": "v", "allowed_http_methods": ["TRACE"]}),
        json!({"name": "v", "custom_response": {"content_type": "html", "body": "x"}}),
    ] {
        let r = call(api, "POST", "/sources", Some(body.clone())).await;
        gw_error(&r, 422, "UNPROCESSABLE_ENTITY");
    }
    gw_error(
        &call(api, "POST", "/sources", Some(json!({"name": "taken"}))).await,
        409,
        "CONFLICT",
    );
    // Malformed ids and ids of another kind are unknown.
    let sid = id(&ok(call(api, "GET", "/sources", None).await)["models"][0]);
    let as_destination = sid.replacen("src_", "des_", 1);
    for bad in [
        "nope",
        "src_123",
        &as_destination,
        "00000000-0000-0000-0000-000000000000",
    ] {
        gw_error(
            &call(api, "GET", &format!("/sources/{bad}"), None).await,
            404,
            "NOT_FOUND",
        );
    }
    let anonymous = api.with_key(None);
    gw_error(
        &call(&anonymous, "GET", "/sources", None).await,
        401,
        "UNAUTHORIZED",
    );
    gw_error(
        &call(
            &anonymous,
            "POST",
            "/sources",
            Some(json!({"name": "sneaky"})),
        )
        .await,
        401,
        "UNAUTHORIZED",
    );
    // Out of scope: 404.
    for path in ["/transformations", "/issues", "/bookmarks", "/integrations"] {
        gw_error(&call(api, "GET", path, None).await, 404, "NOT_FOUND");
    }
    let names: Vec<String> = ok(call(api, "GET", "/sources", None).await)["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["taken"]);
    stack.stop().await;
}
