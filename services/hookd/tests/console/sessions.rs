//! Console sessions: login, wrong keys, the rate limit, expiry, logout, key deletion, CSRF
//! and the headers of every answer.

use crate::helpers::*;
use crate::support::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn login_opens_a_session_with_a_strict_http_only_cookie() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let r = try_login(&client, ADMIN_KEY).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/console/apps");
    let cookie = set_cookie(&r, "hookd_console").unwrap();
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    // Only the hash of the session id is stored.
    let value = cookie_value(&cookie);
    let db = stack.db().await;
    let rows = db
        .query("SELECT id_hash FROM console_sessions", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let stored: Vec<u8> = rows[0].get(0);
    assert_ne!(stored, value.as_bytes());
    assert_eq!(stored.len(), 32);
}

#[tokio::test]
async fn the_cookie_is_secure_behind_an_https_public_url() {
    let stack =
        TestStack::spawn_with(|s| s.console.public_url = Some("https://hooks.example.com".into()))
            .await;
    let r = try_login(&browser(&stack), ADMIN_KEY).await;
    assert!(set_cookie(&r, "hookd_console")
        .unwrap()
        .contains("; Secure"));
}

#[tokio::test]
async fn a_wrong_key_is_a_401_with_an_alert_and_the_11th_attempt_a_429() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    for _ in 0..10 {
        let r = try_login(&client, "hk_wrong").await;
        assert_eq!(r.status, 401, "{}", r.text);
        assert!(r.text.contains("role=\"alert\""), "{}", r.text);
        assert!(set_cookie(&r, "hookd_console").is_none());
    }
    let r = try_login(&client, ADMIN_KEY).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.headers.contains_key("retry-after"));
    assert!(set_cookie(&r, "hookd_console").is_none());
}

#[tokio::test]
async fn without_a_session_pages_and_posts_go_to_the_login() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    for path in ["/console/apps", "/console/api_keys"] {
        let r = client.get(path).await;
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.headers["location"], "/console/login");
    }
    let r = client
        .raw(
            "GET",
            "/console/apps",
            None,
            &[("cookie", "hookd_console=forged")],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = client
        .raw("POST", "/console/apps", Some(form(&[("name", "x")])), &[])
        .await;
    assert_eq!(r.status, 303);
    let apps = stack.api.get("/api/v1/apps").await;
    assert_eq!(apps.body["count"], json!(0));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let session = login(&client, ADMIN_KEY).await;
    let r = session.post(&client, "/console/logout", &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/console/login");
    assert!(set_cookie(&r, "hookd_console")
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(session.get(&client, "/console/apps").await.status, 303);
    let db = stack.db().await;
    let n: i64 = db
        .query_one("SELECT count(*) FROM console_sessions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_session_expires_after_its_ttl() {
    let stack = TestStack::spawn_with(|s| s.console.session_ttl = Duration::from_secs(1)).await;
    let client = browser(&stack);
    let session = login(&client, ADMIN_KEY).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = session.get(&client, "/console/apps").await;
        if r.status == 303 {
            assert_eq!(r.headers["location"], "/console/login");
            break;
        }
        assert_eq!(r.status, 200);
        assert!(Instant::now() < deadline, "the session did not expire");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_session_acts_as_its_key_and_ends_with_it() {
    let stack = TestStack::spawn().await;
    let other_org = stack
        .api
        .post("/api/v1/organizations", &json!({"name": unique("org")}))
        .await;
    let key = other_org.body["api_key"].as_str().unwrap().to_owned();
    let mine = created(
        stack
            .api
            .post("/api/v1/apps", &json!({"name": unique("admin-app")}))
            .await,
    );
    let client = browser(&stack);
    let session = login(&client, &key).await;
    // The other organization's key sees its own (empty) list, and the admin's app is a 404.
    let apps = session.get(&client, "/console/apps").await;
    assert!(!apps.text.contains(mine["name"].as_str().unwrap()));
    let r = session
        .get(
            &client,
            &format!("/console/apps/{}", mine["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(r.text.contains("Not found"));
    // A key made by this organization, used for a session, then deleted: the session ends.
    let keys = hookd_testkit::ApiClient::new(stack.base.clone(), Some(&key));
    let extra = created(
        keys.post("/api/v1/api_keys", &json!({"name": "extra"}))
            .await,
    );
    let session = login(&client, extra["key"].as_str().unwrap()).await;
    assert_eq!(session.get(&client, "/console/apps").await.status, 200);
    let deleted = keys
        .delete(&format!(
            "/api/v1/api_keys/{}",
            extra["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(deleted.status, 204);
    let r = session.get(&client, "/console/apps").await;
    assert_eq!(r.status, 303);
}

#[tokio::test]
async fn a_post_without_its_token_or_from_another_origin_is_403_and_changes_nothing() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let session = login(&client, ADMIN_KEY).await;
    let cookie = session.header();
    let no_token = client
        .raw(
            "POST",
            "/console/apps",
            Some(form(&[("name", "a")])),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(no_token.status, 403, "{}", no_token.text);
    assert!(no_token.text.contains("Forbidden"));
    let wrong = client
        .raw(
            "POST",
            "/console/apps",
            Some(form(&[("name", "a"), ("csrf_token", "nope")])),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(wrong.status, 403);
    let foreign = client
        .raw(
            "POST",
            "/console/apps",
            Some(form(&[("name", "a"), ("csrf_token", &session.csrf)])),
            &[("cookie", &cookie), ("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(foreign.status, 403);
    // The login form without its double-submit cookie.
    let login = client
        .raw(
            "POST",
            "/console/login",
            Some(form(&[("api_key", ADMIN_KEY), ("csrf_token", "x")])),
            &[],
        )
        .await;
    assert_eq!(login.status, 403);
    assert_eq!(stack.api.get("/api/v1/apps").await.body["count"], json!(0));
    // The same post with its token from this origin creates the app.
    let origin = stack.base.clone();
    let ok = client
        .raw(
            "POST",
            "/console/apps",
            Some(form(&[("name", "a"), ("csrf_token", &session.csrf)])),
            &[("cookie", &cookie), ("origin", &origin)],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    assert_eq!(stack.api.get("/api/v1/apps").await.body["count"], json!(1));
}

#[tokio::test]
async fn every_console_answer_carries_the_security_headers() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let session = login(&client, ADMIN_KEY).await;
    for r in [
        session.get(&client, "/console/apps").await,
        client.get("/console/login").await,
        client.get("/console/apps").await,
        session.get(&client, "/console/nowhere").await,
        client.get("/assets/console.css").await,
    ] {
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.starts_with("default-src 'none'; script-src 'self'"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        assert_eq!(r.headers["referrer-policy"], "no-referrer");
        assert!(r.headers.contains_key("server-timing"));
        assert!(r.headers.contains_key("cache-control"));
    }
    assert_eq!(session.get(&client, "/console/nowhere").await.status, 404);
}
