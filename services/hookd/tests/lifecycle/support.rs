//! What the lifecycle suites share: delivered messages to age in SQL, and reads of their rows.

use crate::helpers::*;
use hookd_testkit::ApiClient;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

/// An app with an endpoint on the receiver and `n` messages delivered to it, each attempt with
/// a response body. Returns the app's fixture and the message ids, in sending order.
pub async fn delivered(stack: &TestStack, n: usize) -> (Fixture, Vec<Uuid>) {
    let f = stack.fixture().await;
    stack
        .endpoint(&f, &format!("/{}", unique("ep")), json!({}))
        .await;
    let mut ids = Vec::new();
    for i in 0..n {
        let sent = stack
            .send(
                &f,
                json!({"event_type": "user.created", "data": {"n": i, "secret": "s3cr3t"}}),
            )
            .await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        ids.push(sent.body["id"].as_str().unwrap().parse().unwrap());
    }
    for id in &ids {
        stack
            .eventually(
                &format!("/api/v1/messages/{id}/deliveries"),
                Duration::from_secs(20),
                |b| b["models"][0]["status"] == "succeeded",
            )
            .await;
    }
    // Receivers answer with an empty body; a real one says something worth expunging.
    let db = stack.db().await;
    let changed = db
        .execute(
            "UPDATE attempts SET response_body = 'receiver said ' || id WHERE message_id = ANY($1)",
            &[&ids],
        )
        .await
        .unwrap();
    assert_eq!(changed as usize, n, "one attempt per message");
    (f, ids)
}

/// Moves the messages (and their deliveries and attempts) `days` into the past.
pub async fn age(stack: &TestStack, ids: &[Uuid], days: i32) {
    let db = stack.db().await;
    for table in ["messages", "deliveries", "attempts"] {
        let column = if table == "messages" {
            "id"
        } else {
            "message_id"
        };
        db.execute(
            &format!(
                "UPDATE {table} SET created_at = created_at - make_interval(days => $2)
                 WHERE {column} = ANY($1)"
            ),
            &[&ids, &days],
        )
        .await
        .unwrap();
    }
}

/// A message's stored payload, expunge mark and attempt bodies; `None` when it is gone.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub data: Value,
    pub expunged: bool,
    pub attempt_bodies: Vec<Option<String>>,
    pub deliveries: i64,
}

pub async fn stored(stack: &TestStack, id: Uuid) -> Option<Stored> {
    let db = stack.db().await;
    let row = db
        .query_opt(
            "SELECT data, expunged_at IS NOT NULL FROM messages WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap()?;
    let attempt_bodies = db
        .query(
            "SELECT response_body FROM attempts WHERE message_id = $1 ORDER BY id",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let deliveries = db
        .query_one(
            "SELECT count(*) FROM deliveries WHERE message_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    Some(Stored {
        data: row.get(0),
        expunged: row.get(1),
        attempt_bodies,
        deliveries,
    })
}

/// Rows of the message's deliveries and attempts (deleted with it or not).
pub async fn children(stack: &TestStack, id: Uuid) -> i64 {
    let db = stack.db().await;
    db.query_one(
        "SELECT (SELECT count(*) FROM deliveries WHERE message_id = $1)
              + (SELECT count(*) FROM attempts WHERE message_id = $1)",
        &[&id],
    )
    .await
    .unwrap()
    .get(0)
}

/// A new organization made by the admin key: its id and a client holding its key.
pub async fn new_org(stack: &TestStack, prefix: &str) -> (Uuid, ApiClient) {
    let org = created(
        stack
            .api
            .post("/api/v1/organizations", &json!({"name": unique(prefix)}))
            .await,
    );
    let id = org["id"].as_str().unwrap().parse().unwrap();
    (id, stack.api.with_key(org["api_key"].as_str()))
}

/// The event type `user.created` in the app, and a subscription of it: the subscription's id.
pub async fn subscribed(api: &ApiClient, app_id: &str) -> String {
    created(
        api.post(
            &format!("/api/v1/apps/{app_id}/event_types"),
            &json!({"name": "user.created"}),
        )
        .await,
    );
    let sub = created(
        api.post(
            &format!("/api/v1/apps/{app_id}/subscriptions"),
            &json!({"name": unique("sub")}),
        )
        .await,
    );
    sub["id"].as_str().unwrap().to_owned()
}
