//! 405 and unknown paths in the error format; database outages and failing queries as 503 and
//! 500 without internals.

use crate::helpers::*;
use crate::support::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_is_405_and_an_unknown_path_404_both_in_the_error_format() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let app = &f.app_id;
    for (method, path, allow) in [
        ("DELETE", "/api/v1/apps".to_owned(), "GET, POST"),
        ("PUT", format!("/api/v1/apps/{app}"), "GET, PATCH, DELETE"),
        ("POST", format!("/api/v1/apps/{app}"), "GET, PATCH, DELETE"),
        (
            "DELETE",
            format!("/api/v1/apps/{app}/messages"),
            "GET, POST",
        ),
        (
            "GET",
            format!("/api/v1/apps/{app}/deliveries/retry"),
            "POST",
        ),
        ("GET", "/api/v1/api_keys/x".to_owned(), "DELETE"),
    ] {
        let r = stack.api.raw(method, &path, None, &[]).await;
        assert_error(&r, 405);
        assert_eq!(
            r.headers.get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
    }
    for path in [
        "/api/v1/nothing",
        "/api/v1/apps/x/y/z",
        "/nowhere",
        "/api/v2/apps",
    ] {
        assert_error(&stack.api.get(path).await, 404);
    }
    // The app is still there.
    ok(stack.api.get(&format!("/api/v1/apps/{app}")).await);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_503_without_internals_and_recovers() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let (_, tenant) = new_org(&stack).await;
    let db_name = stack
        .settings
        .database
        .url
        .expose()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    // The database stops accepting connections and every open one is cut, as when it is
    // restarted or fails over.
    // ALTER DATABASE cannot run from inside the database it changes: use the maintenance one.
    let url = stack.settings.database.url.expose();
    let maintenance = format!("{}/postgres", &url[..url.rfind('/').unwrap()]);
    let admin = hookd_db::connect(&maintenance, 1)
        .unwrap()
        .get()
        .await
        .unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{db_name}';"
        ))
        .await
        .unwrap();
    let send = json!({"event_type": "user.created", "data": {"n": 1}});
    let responses = [
        stack.api.get("/api/v1/apps").await,
        stack.api.get(&format!("/api/v1/apps/{}", f.app_id)).await,
        stack
            .api
            .post("/api/v1/apps", &json!({"name": "during"}))
            .await,
        stack.send(&f, send.clone()).await,
        // A non-admin key is looked up in the database: that is a 503 too, not a 401.
        tenant.get("/api/v1/apps").await,
    ];
    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS true"
        ))
        .await
        .unwrap();
    for r in &responses {
        assert_error(r, 503);
        assert!(r.headers.contains_key("retry-after"), "{:?}", r.headers);
        let text = r.text.to_lowercase();
        for leak in [
            "sql",
            "postgres",
            "hookd_test",
            "select",
            "connection",
            "fatal",
            "panicked",
            "src/",
        ] {
            assert!(!text.contains(leak), "the 503 leaks `{leak}`: {}", r.text);
        }
    }
    // Back once the database is: the pool reconnects by itself.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = stack.api.get("/api/v1/apps").await;
        if r.status == 200 {
            assert_eq!(
                r.body["count"], 1,
                "the app made during the outage exists: {}",
                r.text
            );
            break;
        }
        assert!(Instant::now() < deadline, "did not recover: {}", r.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stack.send(&f, send).await.status, 202);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_query_is_500_without_internals() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let path = format!("/api/v1/apps/{}/subscriptions", f.app_id);
    ok(stack.api.get(&path).await);
    // A query that PostgreSQL rejects (the table is not there): a bug, not an outage.
    let db = stack.db().await;
    db.batch_execute("ALTER TABLE subscriptions RENAME TO subscriptions_moved")
        .await
        .unwrap();
    let r = stack.api.get(&path).await;
    let created = stack
        .api
        .post(&path, &json!({"name": "while-broken"}))
        .await;
    db.batch_execute("ALTER TABLE subscriptions_moved RENAME TO subscriptions")
        .await
        .unwrap();
    for r in [&r, &created] {
        assert_error(r, 500);
        assert_eq!(r.body["message"], "internal error", "{}", r.text);
        let text = r.text.to_lowercase();
        for leak in [
            "subscriptions",
            "relation",
            "sql",
            "select",
            "insert",
            "42p01",
            "postgres",
        ] {
            assert!(!text.contains(leak), "the 500 leaks `{leak}`: {}", r.text);
        }
    }
    assert_eq!(ok(stack.api.get(&path).await)["count"], 1);
    stack.stop().await;
}
