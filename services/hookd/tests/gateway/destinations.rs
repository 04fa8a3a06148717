use crate::helpers::*;
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn destinations_take_a_url_or_cli_path_and_seal_their_credentials() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let d = ok(call(
        api,
        "POST",
        "/destinations",
        Some(json!({
            "name": "api",
            "url": "https://example.com/hooks",
            "rate_limit": 5,
            "auth_method": {"type": "basic_auth", "config": {"username": "u", "password": "hunter22"}},
        })),
    )
    .await);
    let did = id(&d);
    assert!(did.starts_with("des_"), "{did}");
    assert_eq!(d["rate_limit_period"], "second");
    assert_eq!(d["http_method"], json!(null));
    assert_eq!(d["path_forwarding_disabled"], json!(false));
    assert_eq!(
        d["auth_method"],
        json!({"type": "BASIC_AUTH", "config": {"username": "u", "password": "hunter22"}})
    );
    let stored: String = stack
        .db()
        .await
        .query_one("SELECT auth_config FROM gw_destinations", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        !stored.contains("hunter22"),
        "credentials stored in clear: {stored}"
    );

    let cli = ok(call(
        api,
        "POST",
        "/destinations",
        Some(json!({"name": "cli", "cli_path": "/webhooks"})),
    )
    .await);
    assert_eq!(cli["auth_method"]["type"], "HOOKDECK_SIGNATURE");
    assert!(cli["url"].is_null());

    let updated = ok(call(
        api,
        "PUT",
        &format!("/destinations/{did}"),
        Some(
            json!({"http_method": "put", "path_forwarding_disabled": true,
            "auth_method": {"type": "BEARER_TOKEN", "config": {"token": "t0k"}}}),
        ),
    )
    .await);
    assert_eq!(updated["http_method"], "PUT");
    assert_eq!(updated["path_forwarding_disabled"], json!(true));
    assert_eq!(updated["url"], "https://example.com/hooks");
    assert_eq!(updated["auth_method"]["config"]["token"], "t0k");

    for body in [
        json!({"name": "x"}),
        json!({"name": "x", "url": "ftp://example.com"}),
        json!({"name": "x", "url": "not a url"}),
        json!({"name": "x", "url": "https://e.com", "http_method": "TRACE"}),
        json!({"name": "x", "url": "https://e.com", "rate_limit": 0}),
        json!({"name": "x", "url": "https://e.com", "rate_limit": 1, "rate_limit_period": "day"}),
        json!({"name": "x", "url": "https://e.com", "auth_method": {"type": "OAUTH2"}}),
        json!({"name": "x", "url": "https://e.com", "auth_method": {"type": "API_KEY",
            "config": {"key": "x-key"}}}),
    ] {
        let r = call(api, "POST", "/destinations", Some(body.clone())).await;
        gw_error(&r, 422, "UNPROCESSABLE_ENTITY");
    }
    // Clearing the URL of a destination without cli_path leaves it nowhere to deliver.
    let r = call(
        api,
        "PUT",
        &format!("/destinations/{did}"),
        Some(json!({"url": null})),
    )
    .await;
    gw_error(&r, 422, "UNPROCESSABLE_ENTITY");
    gw_error(
        &call(
            api,
            "POST",
            "/destinations",
            Some(json!({"name": "api", "url": "https://e.com"})),
        )
        .await,
        409,
        "CONFLICT",
    );

    let disabled = ok(call(api, "PUT", &format!("/destinations/{did}/disable"), None).await);
    assert!(disabled["disabled_at"].is_string());
    assert_eq!(
        ids(&ok(call(api, "GET", "/destinations", None).await)),
        vec![id(&cli)]
    );
    assert_eq!(
        ok(call(api, "DELETE", &format!("/destinations/{did}"), None).await)["id"],
        did
    );
    gw_error(
        &call(api, "GET", &format!("/destinations/{did}"), None).await,
        404,
        "NOT_FOUND",
    );
    stack.stop().await;
}
