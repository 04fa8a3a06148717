//! The API additions of CONSOLE.md: portal links, event type examples, the message status
//! filter and the stats.

use crate::helpers::*;
use hookd_testkit::Behavior;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn portal_access_mints_hashed_expiring_links_and_expire_all_ends_them() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let path = format!("/api/v1/subscriptions/{}/portal_access", f.subscription_id);
    // No body: the defaults (a week, not read-only).
    let r = stack.api.raw("POST", &path, None, &[]).await;
    let link = created(r);
    let token = link["token"].as_str().unwrap();
    assert!(token.starts_with("hkp_") && token.len() > 40, "{link}");
    assert_eq!(link["read_only"], json!(false));
    assert_eq!(
        link["url"].as_str().unwrap(),
        format!("{}/portal/access?token={token}", stack.base)
    );
    let expires =
        chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap()).unwrap();
    let week = expires.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        week > chrono::Duration::days(6) && week <= chrono::Duration::days(7),
        "{week}"
    );
    let short = created(
        stack
            .api
            .post(&path, &json!({"expiry": 3600, "read_only": true}))
            .await,
    );
    assert_eq!(short["read_only"], json!(true));
    // Only the SHA-256 of a token is kept.
    let db = stack.db().await;
    let hashes: Vec<Vec<u8>> = db
        .query("SELECT token_hash FROM portal_links", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(hashes.len(), 2);
    assert!(hashes
        .iter()
        .all(|h| h.len() == 32 && h.as_slice() != token.as_bytes()));
    // Bad input changes nothing.
    let before = stack.row_counts().await;
    for body in [
        json!({"expiry": 10}),
        json!({"expiry": 604801}),
        json!({"read_only": "yes"}),
    ] {
        assert_error(&stack.api.post(&path, &body).await, 422);
    }
    assert_error(
        &stack.api.raw("POST", &path, Some("{".into()), &[]).await,
        400,
    );
    let missing = format!(
        "/api/v1/subscriptions/{}/portal_access",
        uuid::Uuid::now_v7()
    );
    assert_error(&stack.api.post(&missing, &json!({})).await, 404);
    stack
        .assert_rows_unchanged(&before, &[], "a refused portal link")
        .await;
    let n: i64 = db
        .query_one("SELECT count(*) FROM portal_links", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    // The links work until expire_all.
    let browser = stack.api.with_key(None);
    let opened = browser.get(&format!("/portal/access?token={token}")).await;
    assert_eq!(opened.status, 303, "{}", opened.text);
    let expire = stack
        .api
        .raw("POST", &format!("{path}/expire_all"), None, &[])
        .await;
    assert_eq!(expire.status, 204, "{}", expire.text);
    let again = browser.get(&format!("/portal/access?token={token}")).await;
    assert_eq!(again.status, 401);
    assert!(again.text.contains("Link expired"));
    let n: i64 = db
        .query_one("SELECT count(*) FROM portal_sessions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "expire_all ends the sessions too");
    let other = stack
        .api
        .raw(
            "POST",
            &format!(
                "/api/v1/subscriptions/{}/portal_access/expire_all",
                uuid::Uuid::now_v7()
            ),
            None,
            &[],
        )
        .await;
    assert_error(&other, 404);
}

#[tokio::test]
async fn an_event_type_example_must_satisfy_its_schema() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let types = format!("/api/v1/apps/{}/event_types", f.app_id);
    let schema = json!({"type": "object", "required": ["amount"]});
    let bad = stack
        .api
        .post(
            &types,
            &json!({"name": "order.paid", "schema": schema, "example": {"x": 1}}),
        )
        .await;
    assert_error(&bad, 422);
    assert!(bad.body["message"].as_str().unwrap().contains("example"));
    assert_error(&stack.api.get(&format!("{types}/order.paid")).await, 404);
    let t = created(
        stack
            .api
            .post(
                &types,
                &json!({"name": "order.paid", "schema": schema, "example": {"amount": 3}}),
            )
            .await,
    );
    assert_eq!(t["example"], json!({"amount": 3}));
    // Any JSON without a schema.
    let plain = created(
        stack
            .api
            .post(&types, &json!({"name": "ping", "example": [1, "two"]}))
            .await,
    );
    assert_eq!(plain["example"], json!([1, "two"]));
    // A PATCH is checked against the pair as it would be stored.
    let one = format!("{types}/order.paid");
    assert_error(
        &stack.api.patch(&one, &json!({"example": {"y": 2}})).await,
        422,
    );
    assert_error(
        &stack
            .api
            .patch(
                &one,
                &json!({"schema": {"type": "object", "required": ["currency"]}}),
            )
            .await,
        422,
    );
    let r = stack
        .api
        .patch(&one, &json!({"example": {"amount": 4, "currency": "EUR"}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        stack.api.get(&one).await.body["example"],
        json!({"amount": 4, "currency": "EUR"})
    );
    let r = stack.api.patch(&one, &json!({"example": null})).await;
    assert_eq!(r.body["example"], json!(null));
}

#[tokio::test]
async fn messages_filter_by_delivery_status_and_stats_count_attempts() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.receiver.set("/fail", Behavior::Status(500));
    let ok = stack.endpoint(&f, "/ok", json!({})).await;
    let bad = stack
        .endpoint(&f, "/fail", json!({"event_types": ["user.deleted"]}))
        .await;
    let good = stack
        .send(&f, json!({"event_type": "user.created", "data": {}}))
        .await;
    let failing = stack
        .send(&f, json!({"event_type": "user.deleted", "data": {}}))
        .await;
    let messages = format!("/api/v1/apps/{}/messages", f.app_id);
    let failed = stack
        .eventually(
            &format!("{messages}?status=failed"),
            Duration::from_secs(20),
            |b| b["count"] == 1,
        )
        .await;
    assert_eq!(failed["models"][0]["id"], failing.body["id"]);
    let succeeded = stack
        .eventually(
            &format!("{messages}?status=succeeded"),
            Duration::from_secs(20),
            |b| b["count"] == 1,
        )
        .await;
    assert_eq!(succeeded["models"][0]["id"], good.body["id"]);
    assert_eq!(
        stack
            .api
            .get(&format!("{messages}?status=pending"))
            .await
            .body["count"],
        0
    );
    assert_eq!(stack.api.get(&messages).await.body["count"], 2);
    assert_error(
        &stack.api.get(&format!("{messages}?status=lost")).await,
        422,
    );
    // Stats: the app's attempts, 1 success and 3 failures (the retry schedule has 3 tries).
    let stats = stack
        .api
        .get(&format!("/api/v1/apps/{}/stats", f.app_id))
        .await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    let s = &stats.body;
    assert_eq!(s["window"], "1h");
    assert_eq!(s["bucket_seconds"], 300);
    assert_eq!(s["buckets"].as_array().unwrap().len(), 12);
    assert_eq!(s["totals"]["attempts"], 4, "{s}");
    assert_eq!(s["totals"]["succeeded"], 1);
    assert_eq!(s["totals"]["failed"], 3);
    assert_eq!(s["totals"]["success_rate"], 0.25);
    assert!(s["totals"]["p50_ms"].as_f64().is_some());
    let in_buckets: i64 = s["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["attempts"].as_i64().unwrap())
        .sum();
    assert_eq!(in_buckets, 4);
    let day = stack
        .api
        .get(&format!("/api/v1/apps/{}/stats?window=24h", f.app_id))
        .await;
    assert_eq!(day.body["bucket_seconds"], 3600);
    assert_eq!(day.body["buckets"].as_array().unwrap().len(), 24);
    let one = stack
        .api
        .get(&format!(
            "/api/v1/endpoints/{}/stats",
            bad["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one.body["totals"]["attempts"], 3);
    assert_eq!(one.body["totals"]["success_rate"], 0.0);
    let other = stack
        .api
        .get(&format!(
            "/api/v1/endpoints/{}/stats",
            ok["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(other.body["totals"]["success_rate"], 1.0);
    assert_error(
        &stack
            .api
            .get(&format!("/api/v1/apps/{}/stats?window=7d", f.app_id))
            .await,
        422,
    );
    assert_error(
        &stack
            .api
            .get(&format!("/api/v1/endpoints/{}/stats", uuid::Uuid::now_v7()))
            .await,
        404,
    );
    // Another organization sees none of it.
    let org = stack
        .api
        .post("/api/v1/organizations", &json!({"name": unique("org")}))
        .await;
    let theirs = stack.api.with_key(org.body["api_key"].as_str());
    assert_error(
        &theirs
            .get(&format!("/api/v1/apps/{}/stats", f.app_id))
            .await,
        404,
    );
    assert_error(
        &theirs
            .get(&format!(
                "/api/v1/endpoints/{}/stats",
                ok["id"].as_str().unwrap()
            ))
            .await,
        404,
    );
}
