//! Another organization's gateway ids are 404 on every id route, and absent from its lists.

use crate::helpers::*;
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn another_organizations_ids_are_not_found_anywhere() {
    let stack = TestStack::spawn().await;
    let mine = &stack.api;
    let theirs = other_org(&stack).await;
    let c = connection(mine, "private", "https://example.com/p").await;
    let (cid, sid, did) = (id(&c), id(&c["source"]), id(&c["destination"]));

    let mut routes = Vec::new();
    for (kind, id) in [
        ("sources", &sid),
        ("destinations", &did),
        ("connections", &cid),
    ] {
        routes.push(("GET", format!("/{kind}/{id}"), None));
        routes.push((
            "PUT",
            format!("/{kind}/{id}"),
            Some(json!({"description": "mine now"})),
        ));
        for action in ["disable", "enable", "archive", "unarchive"] {
            routes.push(("PUT", format!("/{kind}/{id}/{action}"), None));
        }
    }
    routes.push(("PUT", format!("/connections/{cid}/pause"), None));
    routes.push(("PUT", format!("/connections/{cid}/unpause"), None));
    routes.push((
        "GET",
        format!("/sources/{sid}?include=verification.configs"),
        None,
    ));
    for (kind, id) in [
        ("connections", &cid),
        ("destinations", &did),
        ("sources", &sid),
    ] {
        routes.push(("DELETE", format!("/{kind}/{id}"), None));
    }
    for (method, path, body) in routes {
        let r = call(&theirs, method, &path, body).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
        gw_error(&r, 404, "NOT_FOUND");
    }
    // Their lists and counts do not see mine; they cannot connect to my source or destination.
    for path in [
        "/sources",
        "/destinations",
        "/connections",
        "/sources?disabled=true",
    ] {
        assert!(
            ids(&ok(call(&theirs, "GET", path, None).await)).is_empty(),
            "{path}"
        );
    }
    assert_eq!(
        ok(call(&theirs, "GET", "/connections/count", None).await)["count"],
        0
    );
    let steal = call(
        &theirs,
        "POST",
        "/connections",
        Some(json!({"name": "steal", "source_id": sid, "destination": {"name": "d", "url": "https://e.com"}})),
    )
    .await;
    gw_error(&steal, 422, "UNPROCESSABLE_ENTITY");
    // The same names are free in their organization.
    connection(&theirs, "private", "https://example.com/theirs").await;
    // Nothing of mine changed.
    let still = ok(call(mine, "GET", &format!("/connections/{cid}"), None).await);
    assert!(still["description"].is_null() && still["disabled_at"].is_null());
    assert!(still["paused_at"].is_null());
    assert_eq!(still["source"]["description"], json!(null));
    stack.stop().await;
}
