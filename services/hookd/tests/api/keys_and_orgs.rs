//! API keys and organizations: keys work at once, are never shown again, die at once when
//! deleted; organizations are made by the admin key only and each sees only itself.

use crate::helpers::*;
use crate::support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_work_at_once_are_never_shown_again_and_die_at_once() {
    let stack = TestStack::spawn().await;
    let app = created(
        stack
            .api
            .post("/api/v1/apps", &json!({"name": "mine"}))
            .await,
    );
    let made = created(
        stack
            .api
            .post("/api/v1/api_keys", &json!({"name": "ci"}))
            .await,
    );
    let key = made["key"].as_str().unwrap().to_owned();
    assert_eq!(made["name"], "ci");
    let mut fields: Vec<&String> = made.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["created_at", "id", "key", "name"]);
    assert!(key.len() >= 32, "{key}");
    let named_default = created(stack.api.post("/api/v1/api_keys", &json!({})).await);
    assert_eq!(named_default["name"], "default");
    assert_ne!(named_default["key"], made["key"]);

    // Works at once, by Bearer and by Basic, and speaks for the same organization.
    let with_key = stack.api.with_key(Some(&key));
    assert_eq!(ids(&ok(with_key.get("/api/v1/apps").await)), vec![id(&app)]);
    assert_eq!(
        ids(&ok(
            get_with_auth(&stack, "/api/v1/apps", &basic(&key)).await
        )),
        vec![id(&app)]
    );
    created(
        with_key
            .post("/api/v1/apps", &json!({"name": "by-new-key"}))
            .await,
    );
    assert_eq!(ok(stack.api.get("/api/v1/apps").await)["count"], 2);
    // A key of an ordinary organization member is not an admin.
    assert_error(
        &with_key
            .post("/api/v1/organizations", &json!({"name": "nope"}))
            .await,
        403,
    );

    // Listed without the plaintext or the hash, by anyone of the organization.
    let listed = ok(with_key.get("/api/v1/api_keys").await);
    assert_eq!(listed["count"], 2);
    assert!(ids(&listed).contains(&id(&made)));
    for model in listed["models"].as_array().unwrap() {
        let mut fields: Vec<&String> = model.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(fields, ["created_at", "id", "name"], "{model}");
    }
    assert!(
        !listed.to_string().contains(&key),
        "the plaintext is listed"
    );
    assert!(!listed
        .to_string()
        .contains(named_default["key"].as_str().unwrap()));
    assert_eq!(
        ids(&ok(stack.api.get("/api/v1/api_keys?name=ci").await)),
        vec![id(&made)]
    );

    // Only a hash is stored.
    let db = stack.db().await;
    let rows = db
        .query(
            "SELECT count(*) FILTER (WHERE key_hash = sha256(convert_to($1, 'UTF8'))),
                    count(*) FILTER (WHERE position(convert_to($1, 'UTF8') IN key_hash) > 0
                        OR encode(key_hash, 'hex') = $1 OR encode(key_hash, 'base64') = $1)
             FROM api_keys",
            &[&key],
        )
        .await
        .unwrap();
    assert_eq!(
        rows[0].get::<_, i64>(0),
        1,
        "the key is not stored as its SHA-256"
    );
    assert_eq!(rows[0].get::<_, i64>(1), 0, "the plaintext is stored");

    // Deleted: 204, then refused on the very next request, by either scheme.
    let r = stack
        .api
        .delete(&format!("/api/v1/api_keys/{}", id(&made)))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_error(&with_key.get("/api/v1/apps").await, 401);
    assert_error(
        &get_with_auth(&stack, "/api/v1/apps", &basic(&key)).await,
        401,
    );
    assert_error(
        &stack
            .api
            .delete(&format!("/api/v1/api_keys/{}", id(&made)))
            .await,
        404,
    );
    // The other key still works; a key may delete itself and is refused right after.
    let other = stack
        .api
        .with_key(Some(named_default["key"].as_str().unwrap()));
    assert_eq!(
        ids(&ok(other.get("/api/v1/api_keys").await)),
        vec![id(&named_default)]
    );
    let r = other
        .delete(&format!("/api/v1/api_keys/{}", id(&named_default)))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_error(&other.get("/api/v1/api_keys").await, 401);
    // The admin key is configuration, not a row: it keeps working.
    assert_eq!(ok(stack.api.get("/api/v1/api_keys").await)["count"], 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_key_creates_organizations_and_each_sees_only_itself() {
    let stack = TestStack::spawn().await;
    let admin_app = created(
        stack
            .api
            .post("/api/v1/apps", &json!({"name": "admin-app"}))
            .await,
    );
    let admin_key = created(
        stack
            .api
            .post("/api/v1/api_keys", &json!({"name": "admin-org-key"}))
            .await,
    );

    let r = stack
        .api
        .post("/api/v1/organizations", &json!({"name": "acme"}))
        .await;
    let acme = created(r);
    let mut fields: Vec<&String> = acme.as_object().unwrap().keys().collect();
    fields.sort();
    assert!(
        ["api_key", "id", "name"]
            .iter()
            .all(|f| fields.contains(&&f.to_string())),
        "{acme}"
    );
    assert_eq!(acme["name"], "acme");
    let acme_key = acme["api_key"].as_str().unwrap();
    let acme_api = stack.api.with_key(Some(acme_key));
    let listed = ok(stack.api.get("/api/v1/organizations").await);
    assert!(ids(&listed).contains(&id(&acme)));
    assert!(
        !listed.to_string().contains(acme_key),
        "organizations list the key"
    );
    assert_eq!(
        ids(&ok(stack.api.get("/api/v1/organizations?name=acme").await)),
        vec![id(&acme)]
    );

    // Its key works at once and sees only its own organization.
    assert_eq!(ok(acme_api.get("/api/v1/apps").await)["count"], 0);
    let acme_app = created(
        acme_api
            .post("/api/v1/apps", &json!({"name": "admin-app"}))
            .await,
    );
    assert_eq!(
        ids(&ok(acme_api.get("/api/v1/apps").await)),
        vec![id(&acme_app)]
    );
    assert_eq!(
        ids(&ok(stack.api.get("/api/v1/apps").await)),
        vec![id(&admin_app)]
    );
    assert_error(
        &acme_api
            .get(&format!("/api/v1/apps/{}", id(&admin_app)))
            .await,
        404,
    );
    assert_error(
        &stack
            .api
            .get(&format!("/api/v1/apps/{}", id(&acme_app)))
            .await,
        404,
    );
    let acme_keys = ok(acme_api.get("/api/v1/api_keys").await);
    assert_eq!(acme_keys["count"], 1, "{acme_keys}");
    assert!(!ids(&acme_keys).contains(&id(&admin_key)));
    assert!(!ids(&ok(stack.api.get("/api/v1/api_keys").await)).contains(&ids(&acme_keys)[0]));
    // More keys for acme come from acme's own key.
    let second = created(
        acme_api
            .post("/api/v1/api_keys", &json!({"name": "second"}))
            .await,
    );
    let second_api = stack.api.with_key(Some(second["key"].as_str().unwrap()));
    assert_eq!(
        ids(&ok(second_api.get("/api/v1/apps").await)),
        vec![id(&acme_app)]
    );

    // A non-admin key cannot create (or list) organizations, and nothing is created.
    let before = ok(stack.api.get("/api/v1/organizations").await)["count"].clone();
    for api in [
        &acme_api,
        &second_api,
        &stack.api.with_key(Some(admin_key["key"].as_str().unwrap())),
    ] {
        assert_error(
            &api.post("/api/v1/organizations", &json!({"name": unique("evil")}))
                .await,
            403,
        );
        assert_error(&api.get("/api/v1/organizations").await, 403);
    }
    assert_eq!(
        ok(stack.api.get("/api/v1/organizations").await)["count"],
        before
    );
    // A second organization is independent of the first.
    let (beta, beta_api) = new_org(&stack).await;
    assert_ne!(beta["id"], acme["id"]);
    assert_eq!(ok(beta_api.get("/api/v1/apps").await)["count"], 0);
    assert_eq!(ok(beta_api.get("/api/v1/api_keys").await)["count"], 1);
    stack.stop().await;
}
