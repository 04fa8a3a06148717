//! `POST /endpoints/{id}/recover` and `POST /endpoints/{id}/replay_missing` (issue 17): recover
//! tries again exactly the endpoint's failed deliveries of the range, once however often it is
//! asked; replay_missing delivers exactly the messages the endpoint would be routed today but
//! never got, once each.

use crate::helpers::*;
use chrono::{DateTime, Utc};
use hookd_testkit::{Behavior, Gate};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn endpoint_path(f: &Fixture, id: &str) -> String {
    format!("/api/v1/subscriptions/{}/endpoints/{id}", f.subscription_id)
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// How many requests each message (`webhook-id`) made to `path`.
fn sends_at(stack: &TestStack, path: &str) -> BTreeMap<String, usize> {
    let mut sends = BTreeMap::new();
    for r in stack.receiver.received_at(path) {
        *sends
            .entry(r.header("webhook-id").unwrap().to_owned())
            .or_insert(0) += 1;
    }
    sends
}

/// The endpoint's deliveries as (message id → status).
async fn deliveries_of(stack: &TestStack, endpoint_id: &str) -> BTreeMap<String, String> {
    let r = stack
        .api
        .get(&format!(
            "/api/v1/endpoints/{endpoint_id}/deliveries?limit=250"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["message_id"].as_str().unwrap().to_owned(),
                d["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn wait_deliveries(
    stack: &TestStack,
    endpoint_id: &str,
    pred: impl Fn(&BTreeMap<String, String>) -> bool,
) -> BTreeMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = deliveries_of(stack, endpoint_id).await;
        if pred(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "deliveries stuck at {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn send(stack: &TestStack, f: &Fixture, body: Value) -> String {
    let r = stack.send(f, body).await;
    assert_eq!(r.status, 202, "{}", r.text);
    id_of(&r.body)
}

/// Waits until the router has passed every one of these messages by (routed, with or without
/// deliveries): what replay_missing looks at.
async fn wait_routed(stack: &TestStack, ids: &[&str]) {
    let ids: Vec<Uuid> = ids.iter().map(|i| i.parse().unwrap()).collect();
    let db = stack.db().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let unrouted: i64 = db
            .query_one(
                "SELECT count(*) FROM message_outbox WHERE id = ANY($1)",
                &[&ids],
            )
            .await
            .unwrap()
            .get(0);
        if unrouted == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{unrouted} messages not routed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Moves messages and their deliveries two days into the past.
async fn age(stack: &TestStack, ids: &[&str]) {
    let ids: Vec<Uuid> = ids.iter().map(|i| i.parse().unwrap()).collect();
    let db = stack.db().await;
    for sql in [
        "UPDATE messages SET created_at = created_at - interval '2 days' WHERE id = ANY($1)",
        "UPDATE deliveries SET created_at = created_at - interval '2 days'
         WHERE message_id = ANY($1)",
    ] {
        db.execute(sql, &[&ids]).await.unwrap();
    }
}

fn range(since: DateTime<Utc>, until: Option<DateTime<Utc>>) -> Value {
    match until {
        None => json!({ "since": since }),
        Some(until) => json!({ "since": since, "until": until }),
    }
}

async fn set_status(stack: &TestStack, f: &Fixture, id: &str, status: &str) {
    let r = stack
        .api
        .patch(&endpoint_path(f, id), &json!({ "status": status }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (uuid, enabled): (Uuid, bool) = (id.parse().unwrap(), status == "enabled");
    stack
        .wait_view(|v| v.endpoint(uuid).is_some_and(|r| r.enabled == enabled))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn recover_resends_exactly_the_failed_deliveries_of_the_range_once() {
    // A held try must not time out while the test looks at it.
    // No open circuit holds tries back (nine fail before the recover).
    let stack = TestStack::spawn_with(|s| {
        s.delivery.timeout = Duration::from_secs(60);
        s.delivery.circuit_failures = 1000;
    })
    .await;
    let f = stack.fixture().await;
    stack.receiver.set("/rec", Behavior::Status(500));
    stack.receiver.set("/other", Behavior::Status(500));
    let rec = id_of(&stack.endpoint(&f, "/rec", json!({})).await);
    let other = id_of(&stack.endpoint(&f, "/other", json!({})).await);
    let old = send(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"n": 0}}),
    )
    .await;
    let mut recent = Vec::new();
    for n in 1..=2 {
        recent.push(
            send(
                &stack,
                &f,
                json!({"event_type": "user.created", "data": {"n": n}}),
            )
            .await,
        );
    }
    for id in [&rec, &other] {
        wait_deliveries(&stack, id, |d| {
            d.len() == 3 && d.values().all(|s| s == "failed")
        })
        .await;
    }
    age(&stack, &[&old]).await;
    let before = sends_at(&stack, "/rec");
    assert!(before.values().all(|n| *n == 3), "{before:?}");

    // Bad ranges and unknown endpoints change nothing.
    let since = Utc::now() - chrono::Duration::hours(1);
    let recover = format!("/api/v1/endpoints/{rec}/recover");
    let rows = stack.row_counts().await;
    assert_error(&stack.api.post(&recover, &json!({})).await, 422);
    assert_error(
        &stack
            .api
            .post(
                &recover,
                &range(since, Some(since - chrono::Duration::seconds(1))),
            )
            .await,
        422,
    );
    assert_error(
        &stack
            .api
            .post(&recover, &json!({"since": "yesterday"}))
            .await,
        422,
    );
    assert_error(
        &stack
            .api
            .post(
                &format!("/api/v1/endpoints/{}/recover", Uuid::new_v4()),
                &range(since, None),
            )
            .await,
        404,
    );
    stack
        .assert_rows_unchanged(&rows, &[], "refused recovers")
        .await;
    assert!(deliveries_of(&stack, &rec)
        .await
        .values()
        .all(|s| s == "failed"));

    // The tries it makes are held, so the deliveries stay pending while it is asked again.
    let gate = Gate::default();
    stack.receiver.set("/rec", Behavior::Hold(gate.clone()));
    let r = stack.api.post(&recover, &range(since, None)).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body, json!({"count": 2}));
    let again = stack.api.post(&recover, &range(since, None)).await;
    assert_eq!(again.status, 202, "{}", again.text);
    assert_eq!(
        again.body,
        json!({"count": 0}),
        "recovered twice while pending"
    );
    gate.open();

    let settled = wait_deliveries(&stack, &rec, |d| {
        recent
            .iter()
            .all(|m| d.get(m).is_some_and(|s| s == "succeeded"))
    })
    .await;
    assert_eq!(
        settled[&old], "failed",
        "a delivery before `since` was recovered"
    );
    let after = sends_at(&stack, "/rec");
    for m in &recent {
        assert_eq!(
            after[m], 4,
            "{m}: three failed tries and one recovered: {after:?}"
        );
    }
    assert_eq!(after[&old], 3, "{after:?}");
    // Another endpoint's failed deliveries are left alone.
    assert!(deliveries_of(&stack, &other)
        .await
        .values()
        .all(|s| s == "failed"));
    assert!(sends_at(&stack, "/other").values().all(|n| *n == 3));

    // A disabled endpoint is refused: nothing could be sent to it.
    set_status(&stack, &f, &rec, "disabled").await;
    assert_error(&stack.api.post(&recover, &range(since, None)).await, 409);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replay_missing_sends_exactly_the_missing_messages_once() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let gold = json!({"tier": "gold"});
    let msg = |event_type: &str, data: &Value| json!({"event_type": event_type, "data": data});
    let since = Utc::now() - chrono::Duration::hours(1);

    // Before the endpoint subscribed: one it would get, and ones it would not (another event
    // type, another version, its filter refuses), and one older than the range.
    let early = send(&stack, &f, msg("user.created", &gold)).await;
    let other_type = send(&stack, &f, msg("user.deleted", &gold)).await;
    let other_version = send(
        &stack,
        &f,
        json!({"event_type": "user.created", "version": "2.0", "data": gold}),
    )
    .await;
    let filtered = send(&stack, &f, msg("user.created", &json!({"tier": "silver"}))).await;
    let too_old = send(&stack, &f, msg("user.created", &gold)).await;
    wait_routed(
        &stack,
        &[&early, &other_type, &other_version, &filtered, &too_old],
    )
    .await;
    age(&stack, &[&too_old]).await;

    let endpoint = stack
        .endpoint(&f, "/replay", json!({"filter": {"data": {"tier": "gold"}}}))
        .await;
    let ep = id_of(&endpoint);
    // Another endpoint, for a message sent to it alone.
    let direct_to = id_of(&stack.endpoint(&f, "/direct", json!({})).await);
    let delivered = send(&stack, &f, msg("user.created", &gold)).await;
    wait_deliveries(&stack, &ep, |d| {
        d.get(&delivered).is_some_and(|s| s == "succeeded")
    })
    .await;
    let direct = stack
        .api
        .post(
            &format!("{}/messages", endpoint_path(&f, &direct_to)),
            &msg("user.created", &gold),
        )
        .await;
    assert_eq!(direct.status, 202, "{}", direct.text);
    let direct = id_of(&direct.body);

    // While it is disabled: one it would get.
    set_status(&stack, &f, &ep, "disabled").await;
    let between = Utc::now();
    let while_disabled = send(&stack, &f, msg("user.created", &gold)).await;
    wait_routed(&stack, &[&while_disabled, &direct]).await;
    let replay = format!("/api/v1/endpoints/{ep}/replay_missing");
    assert_error(&stack.api.post(&replay, &range(since, None)).await, 409);
    set_status(&stack, &f, &ep, "enabled").await;

    // Refused ranges change nothing.
    let rows = stack.row_counts().await;
    assert_error(
        &stack.api.post(&replay, &json!({"until": since})).await,
        422,
    );
    assert_error(
        &stack
            .api
            .post(&replay, &json!({"since": since, "extra": 1}))
            .await,
        422,
    );
    stack
        .assert_rows_unchanged(&rows, &[], "refused replays")
        .await;

    // Up to `between`: the one sent before it subscribed; then the rest: the one sent while
    // it was disabled; then nothing is missing any more.
    let r = stack.api.post(&replay, &range(since, Some(between))).await;
    assert_eq!(
        (r.status, &r.body),
        (202, &json!({"count": 1})),
        "{}",
        r.text
    );
    let r = stack.api.post(&replay, &range(since, None)).await;
    assert_eq!(
        (r.status, &r.body),
        (202, &json!({"count": 1})),
        "{}",
        r.text
    );
    let r = stack.api.post(&replay, &range(since, None)).await;
    assert_eq!(
        (r.status, &r.body),
        (202, &json!({"count": 0})),
        "{}",
        r.text
    );

    let want = [&delivered, &early, &while_disabled];
    let settled = wait_deliveries(&stack, &ep, |d| {
        d.len() == want.len() && d.values().all(|s| s == "succeeded")
    })
    .await;
    let mut got: Vec<&String> = settled.keys().collect();
    let mut want: Vec<&String> = want.to_vec();
    got.sort();
    want.sort();
    assert_eq!(got, want, "deliveries of the endpoint");
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(20), |r| {
                r.iter().filter(|r| r.path == "/replay").count() >= 3
            })
            .await
    );
    let sends = sends_at(&stack, "/replay");
    assert_eq!(sends.len(), 3, "{sends:?}");
    assert!(sends.values().all(|n| *n == 1), "{sends:?}");
    for left_out in [&other_type, &other_version, &filtered, &too_old, &direct] {
        assert!(!sends.contains_key(left_out), "{left_out} was replayed");
    }
    stack.stop().await;
}
