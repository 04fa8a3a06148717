//! The portal's links: read-only links change nothing, expired and revoked links and their
//! sessions are refused, and a direct send is in its portal before it is routed.

use crate::helpers::*;
use crate::portal::{link, world, Portal};
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn a_read_only_portal_shows_no_control_and_refuses_every_change() {
    let w = world().await;
    let client = browser(&w.stack);
    let p = Portal::open(
        &client,
        &link(&w.stack, &w.f.subscription_id, json!({"read_only": true})).await,
    )
    .await;
    let mine = w.mine["id"].as_str().unwrap();
    for path in [
        "/portal/endpoints".to_owned(),
        format!("/portal/endpoints/{mine}"),
        "/portal/messages".to_owned(),
        format!("/portal/messages/{}", w.my_message),
    ] {
        let r = p.get(&client, &path).await;
        assert_eq!(r.status, 200, "{path}");
        let buttons: Vec<&str> = r.text.split("<button").skip(1).collect();
        for b in &buttons {
            assert!(
                b.contains(">Log out<") || b.contains(">Filter<"),
                "{path}: a control {b}"
            );
        }
        assert!(!r.text.contains("whsec_"), "{path} shows a secret");
        assert!(!r.text.contains(">Edit<"), "{path}");
    }
    assert_eq!(
        p.get(&client, &format!("/portal/endpoints/{mine}/edit"))
            .await
            .status,
        403
    );
    for (path, pairs) in [
        (format!("/portal/endpoints/{mine}/delete"), vec![]),
        (
            format!("/portal/endpoints/{mine}/status"),
            vec![("status", "disabled")],
        ),
        (format!("/portal/endpoints/{mine}/secret"), vec![]),
        (format!("/portal/endpoints/{mine}/rotate"), vec![]),
        (
            format!("/portal/endpoints/{mine}/test"),
            vec![("event_type", "user.created")],
        ),
        (
            format!("/portal/endpoints/{mine}/edit"),
            vec![("url", "http://a.example"), ("event_types", "user.created")],
        ),
        (
            "/portal/endpoints".to_owned(),
            vec![("url", "http://a.example"), ("event_types", "user.created")],
        ),
        ("/portal/messages/retry".to_owned(), vec![]),
    ] {
        let r = p.post(&client, &path, &pairs).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
        assert!(r.text.contains("Forbidden"));
    }
    let endpoints = w
        .stack
        .api
        .get(&format!(
            "/api/v1/subscriptions/{}/endpoints",
            w.f.subscription_id
        ))
        .await;
    assert_eq!(endpoints.body["count"], 1);
    assert_eq!(endpoints.body["models"][0]["status"], "enabled");
    assert_eq!(endpoints.body["models"][0]["url"], w.mine["url"]);
}

#[tokio::test]
async fn unknown_expired_and_revoked_links_and_their_sessions_are_refused() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let client = browser(&stack);
    for path in [
        "/portal/access?token=hkp_nothing",
        "/portal/access",
        "/portal/endpoints",
        "/portal/messages",
    ] {
        let r = client.get(path).await;
        assert_eq!(r.status, 401, "{path}");
        assert!(r.text.contains("Link expired"), "{path}");
        assert!(r.headers.contains_key("content-security-policy"));
    }
    // Expired: the link and a session opened with it.
    let expiring = link(&stack, &f.subscription_id, json!({"expiry": 3600})).await;
    let p = Portal::open(&client, &expiring).await;
    assert_eq!(p.get(&client, "/portal/endpoints").await.status, 200);
    let db = stack.db().await;
    db.execute(
        "UPDATE portal_links SET expires_at = now() - interval '1 second'",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(p.get(&client, "/portal/endpoints").await.status, 401);
    let token = expiring["token"].as_str().unwrap();
    assert_eq!(
        client
            .get(&format!("/portal/access?token={token}"))
            .await
            .status,
        401
    );
    // Revoked: expire_all ends a live session at once.
    let live = link(&stack, &f.subscription_id, json!({})).await;
    let p = Portal::open(&client, &live).await;
    let r = stack
        .api
        .raw(
            "POST",
            &format!(
                "/api/v1/subscriptions/{}/portal_access/expire_all",
                f.subscription_id
            ),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    let r = p.get(&client, "/portal/endpoints").await;
    assert_eq!(r.status, 401);
    assert!(r.text.contains("Link expired"));
    // Log out ends the session.
    let again = link(&stack, &f.subscription_id, json!({})).await;
    let p = Portal::open(&client, &again).await;
    assert_eq!(p.post(&client, "/portal/logout", &[]).await.status, 200);
    assert_eq!(p.get(&client, "/portal/endpoints").await.status, 401);
}

/// A send to one of the subscription's endpoints is in its portal from the moment it is
/// stored, before the router has made its delivery (the portal's "Send test message" shows
/// it at once); another subscription's portal still gets a 404.
#[tokio::test]
async fn a_direct_send_is_in_its_portal_before_it_is_routed() {
    let w = world().await;
    let client = browser(&w.stack);
    let mine = Portal::open(
        &client,
        &link(&w.stack, &w.f.subscription_id, json!({})).await,
    )
    .await;
    let theirs = Portal::open(&client, &link(&w.stack, &w.their_sub, json!({})).await).await;
    // Stored as ingest stores a direct send, with no delivery yet.
    let id = hookd_domain::new_id();
    let endpoint: uuid::Uuid = w.mine["id"].as_str().unwrap().parse().unwrap();
    let app: uuid::Uuid = w.f.app_id.parse().unwrap();
    w.stack
        .db()
        .await
        .execute(
            "WITH m AS (
                INSERT INTO messages (id, app_id, event_type, version, data, endpoint_id,
                    created_at)
                VALUES ($1, $2, 'user.created', '1.0', '{\"direct\": true}', $3, now())
                RETURNING id, app_id, created_at
             )
             INSERT INTO message_outbox SELECT * FROM m",
            &[&id, &app, &endpoint],
        )
        .await
        .unwrap();
    let page = mine.get(&client, &format!("/portal/messages/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("direct"), "{}", page.text);
    let other = theirs.get(&client, &format!("/portal/messages/{id}")).await;
    assert_eq!(other.status, 404, "{}", other.text);
}
