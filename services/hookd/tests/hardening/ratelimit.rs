use crate::helpers::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_send_rate_gets_429_with_retry_after() {
    let stack = TestStack::spawn_with(|s| {
        s.ratelimit.ingest_per_second = 1;
        s.ratelimit.ingest_burst = 3;
    })
    .await;
    let f = stack.fixture().await;
    // Sent until the first 429. The bucket refills one token a second, so on a slow machine a
    // send after the burst may pass too: what passed is counted, not assumed to be three.
    let mut statuses = Vec::new();
    let mut limited = None;
    for i in 0..50 {
        let r = stack
            .send(&f, json!({"event_type": "user.created", "data": i}))
            .await;
        statuses.push(r.status);
        if r.status != 202 {
            limited = Some(r);
            break;
        }
    }
    assert_eq!(&statuses[..3], &[202, 202, 202], "{statuses:?}");
    let limited = limited.unwrap_or_else(|| panic!("never limited: {statuses:?}"));
    assert_error(&limited, 429);
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(limited.headers.get("x-ratelimit-limit").unwrap(), "3");
    assert_eq!(limited.headers.get("x-ratelimit-remaining").unwrap(), "0");
    // Management routes have their own budget, and another key its own bucket.
    assert_eq!(stack.api.get("/api/v1/apps").await.status, 200);
    let other = stack
        .api
        .post("/api/v1/api_keys", &json!({"name": "other"}))
        .await;
    let other = stack.api.with_key(other.body["key"].as_str());
    let r = other
        .post(
            &format!("/api/v1/apps/{}/messages", f.app_id),
            &json!({"event_type": "user.created", "data": 1}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    // A refused send stored nothing.
    let listed = stack
        .api
        .get(&format!("/api/v1/apps/{}/messages", f.app_id))
        .await;
    assert_eq!(listed.body["count"], json!(accepted + 1), "{statuses:?}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_are_not_limited_by_default_and_headers_show_the_management_budget() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    for i in 0..20 {
        let r = stack
            .send(&f, json!({"event_type": "user.created", "data": i}))
            .await;
        assert_eq!(r.status, 202);
        assert!(r.headers.get("x-ratelimit-limit").is_none());
    }
    let r = stack.api.get("/api/v1/apps").await;
    assert!(r.headers.get("x-ratelimit-remaining").is_some());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_key_however_spelled_has_one_bucket() {
    use base64::Engine;
    let stack = TestStack::spawn_with(|s| {
        s.ratelimit.management_per_second = 1;
        s.ratelimit.management_burst = 3;
    })
    .await;
    let created = stack
        .api
        .post("/api/v1/api_keys", &json!({"name": "spelled"}))
        .await;
    let key = created.body["key"].as_str().unwrap().to_owned();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:x"))
    );
    let spellings = [format!("Bearer {key}"), format!("bearer {key}"), basic];
    let anonymous = stack.api.with_key(None);
    let mut statuses = Vec::new();
    // Each spelling twice: with a bucket per spelling all six would pass (3 each).
    for spelling in spellings.iter().chain(spellings.iter()) {
        let r = anonymous
            .raw("GET", "/api/v1/apps", None, &[("authorization", spelling)])
            .await;
        statuses.push(r.status);
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_unknown_keys_costs_bounded_lookups_then_429_for_that_address_only() {
    let stack = TestStack::spawn_with(|s| {
        s.ratelimit.failed_auth_per_minute = 1;
        s.ratelimit.failed_auth_burst = 5;
    })
    .await;
    let port: u16 = stack.base.rsplit(':').next().unwrap().parse().unwrap();
    let lookups = || async {
        hookd_testkit::metric_sum(
            &hookd_testkit::scrape(port).await,
            "hookd_ingest_api_key_lookups_total",
        )
    };
    let created = stack
        .api
        .post("/api/v1/api_keys", &json!({"name": "good"}))
        .await;
    let good = stack.api.with_key(created.body["key"].as_str());
    assert_eq!(good.get("/api/v1/apps").await.status, 200);
    let before = lookups().await;

    let attacker = stack
        .api
        .from_address("127.0.0.2".parse().unwrap())
        .with_key(None);
    let mut statuses = Vec::new();
    let mut last = None;
    for i in 0..40 {
        let auth = format!("Bearer hk_{}", random_looking(i));
        let r = attacker
            .raw("GET", "/api/v1/apps", None, &[("authorization", &auth)])
            .await;
        statuses.push(r.status);
        last = Some(r);
    }
    let after = lookups().await;
    assert!(
        after - before <= 5.0,
        "{} lookups for 40 unknown keys",
        after - before
    );
    assert!(after - before >= 1.0, "the counter counts lookups");
    assert_eq!(&statuses[..5], &[401; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    let limited = last.unwrap();
    assert_error(&limited, 429);
    assert_eq!(limited.body["code"], "TOO_MANY_REQUESTS");
    assert!(limited.headers.get("retry-after").is_some());

    // A good key from another address is unaffected.
    assert_eq!(good.get("/api/v1/apps").await.status, 200);
    // An unknown key repeated is answered from the cache of unknown keys: one lookup.
    let unknown = stack.api.with_key(Some("hk_unknown_repeated"));
    assert_error(&unknown.get("/api/v1/apps").await, 401);
    assert_error(&unknown.get("/api/v1/apps").await, 401);
    assert_eq!(lookups().await - after, 1.0);
    // The gateway answers that address 429 too, in its error format (the API's, shared).
    let gw = attacker
        .raw(
            "GET",
            "/2024-03-01/sources",
            None,
            &[("authorization", "Bearer nope")],
        )
        .await;
    assert_error(&gw, 429);
    stack.stop().await;
}

/// A different key-looking suffix per request.
fn random_looking(i: usize) -> String {
    use sha2::Digest;
    hex_of(&sha2::Sha256::digest(i.to_le_bytes()))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
