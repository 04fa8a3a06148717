//! Messages and deliveries keep to their app and endpoint without foreign keys on those hot rows
//! (migration 0025): a deletion takes its children with it, a child stored as its parent was
//! deleted is swept later, and a message of a missing app is refused.

use crate::helpers::*;
use hookd_db::messages::NewMessage;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

async fn count(db: &hookd_db::Client, sql: &str, id: Uuid) -> i64 {
    db.query_one(sql, &[&id]).await.unwrap().get(0)
}

/// One delivered message of a fresh app: (app, endpoint, message).
async fn delivered(stack: &TestStack, path: &str) -> (Fixture, Uuid, Uuid) {
    let f = stack.fixture().await;
    let endpoint = stack.endpoint(&f, path, json!({})).await;
    let r = stack
        .send(&f, json!({"event_type": "user.created", "data": {}}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let db = stack.db().await;
    let message: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
    for _ in 0..300 {
        let n = count(
            &db,
            "SELECT count(*) FROM attempts WHERE message_id = $1",
            message,
        )
        .await;
        if n > 0 {
            let endpoint = endpoint["id"].as_str().unwrap().parse().unwrap();
            return (f, endpoint, message);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the message was never tried");
}

/// Stores a message of `app` as an insert racing the app's deletion would have left it.
async fn store_late_message(db: &hookd_db::Client, app: Uuid) -> Uuid {
    let id = Uuid::now_v7();
    db.execute(
        "INSERT INTO messages (id, app_id, event_type, version, data, created_at)
         VALUES ($1, $2, 'user.created', '1.0', '{}', now())",
        &[&id, &app],
    )
    .await
    .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_app_takes_its_messages_and_a_late_one_is_swept() {
    let stack = TestStack::spawn().await;
    let (f, _, message) = delivered(&stack, "/app-gone").await;
    let app: Uuid = f.app_id.parse().unwrap();
    let db = stack.db().await;
    let r = stack.api.delete(&format!("/api/v1/apps/{app}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let left = "SELECT (SELECT count(*) FROM messages WHERE app_id = $1)
        + (SELECT count(*) FROM deliveries WHERE app_id = $1)
        + (SELECT count(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
           WHERE d.app_id = $1)";
    assert_eq!(count(&db, left, app).await, 0, "the app's rows outlived it");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM attempts WHERE message_id = $1",
            message
        )
        .await,
        0
    );
    let late = store_late_message(&db, app).await;
    // Within the grace, the sweep leaves it: an insert that read the app may still be running.
    let swept = hookd_db::tombstones::sweep(&db, Duration::from_secs(300))
        .await
        .unwrap();
    assert_eq!(swept.messages, 0);
    let swept = hookd_db::tombstones::sweep(&db, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(swept.messages, 1);
    assert_eq!(
        count(&db, "SELECT count(*) FROM messages WHERE id = $1", late).await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM deleted_parents WHERE id = $1",
            app
        )
        .await,
        0,
        "the tombstone stayed"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_endpoint_takes_its_deliveries_and_a_late_one_is_swept() {
    let stack = TestStack::spawn().await;
    let (f, endpoint, message) = delivered(&stack, "/endpoint-gone").await;
    let db = stack.db().await;
    let r = stack
        .api
        .delete(&format!(
            "/api/v1/subscriptions/{}/endpoints/{endpoint}",
            f.subscription_id
        ))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM deliveries WHERE endpoint_id = $1",
            endpoint
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM attempts WHERE message_id = $1",
            message
        )
        .await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM messages WHERE id = $1", message).await,
        1,
        "the message belongs to its app, not to the endpoint"
    );
    // A fan-out that read the endpoint just before its deletion committed.
    let app: Uuid = f.app_id.parse().unwrap();
    db.execute(
        "INSERT INTO deliveries (id, message_id, endpoint_id, app_id, event_type)
         VALUES ($1, $2, $3, $4, 'user.created')",
        &[&Uuid::now_v7(), &message, &endpoint, &app],
    )
    .await
    .unwrap();
    let swept = hookd_db::tombstones::sweep(&db, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(swept.deliveries, 1);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM deliveries WHERE endpoint_id = $1",
            endpoint
        )
        .await,
        0
    );
    stack.stop().await;
}

fn new_message(app: Uuid) -> NewMessage {
    NewMessage {
        id: Uuid::now_v7(),
        app_id: app,
        event_type: "user.created".into(),
        version: "1.0".into(),
        event_id: None,
        data: json!({}),
        endpoint_id: None,
        task_id: None,
        created_at: chrono::Utc::now(),
        traceparent: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_of_a_missing_app_is_refused_and_stores_nothing() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let app: Uuid = f.app_id.parse().unwrap();
    let db = stack.db().await;
    let (kept, orphan) = (new_message(app), new_message(Uuid::now_v7()));
    let batch = [kept.clone(), orphan.clone()];
    assert!(matches!(
        hookd_db::messages::insert_many(&db, &batch).await,
        Err(hookd_db::DbError::NotFound)
    ));
    assert!(matches!(
        hookd_db::messages::insert(&db, &orphan).await,
        Err(hookd_db::DbError::NotFound)
    ));
    let stored = "SELECT count(*) FROM messages WHERE id = $1";
    assert_eq!(
        count(&db, stored, kept.id).await,
        0,
        "the batch stored a part"
    );
    assert_eq!(count(&db, stored, orphan.id).await, 0);
    let (_, inserted) = hookd_db::messages::insert(&db, &kept).await.unwrap();
    assert!(inserted);
    assert_eq!(count(&db, stored, kept.id).await, 1);
    // Through the API: a send to a deleted app is a 404 and stores nothing.
    let r = stack.api.delete(&format!("/api/v1/apps/{app}")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = stack
        .send(&f, json!({"event_type": "user.created", "data": {}}))
        .await;
    assert_error(&r, 404);
    assert_eq!(
        count(&db, "SELECT count(*) FROM messages WHERE app_id = $1", app).await,
        0
    );
    stack.stop().await;
}
