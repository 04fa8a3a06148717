//! Envelopes batched into one broker message (ingest's coalescer): the router routes every one
//! of them, not only the first, and concurrent sends all arrive once without the relay.

use crate::helpers::*;
use hookd_bus::envelopes::MessageAccepted;
use hookd_bus::{Batchable, Publisher, Route, Topology};
use prost::Message as _;
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

/// The relay waits an hour here: whatever arrives, the router's consumer routed.
fn no_relay(s: &mut hookd_config::Settings) {
    s.router.relay_after = Duration::from_secs(3600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_envelope_of_a_batch_is_routed() {
    let stack = TestStack::spawn_with(no_relay).await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/batch", json!({})).await;
    let client = stack.db().await;
    let app: uuid::Uuid = f.app_id.parse().unwrap();
    // Stored as ingest stores them, never published.
    let ids: Vec<uuid::Uuid> = (0..3).map(|_| uuid::Uuid::now_v7()).collect();
    for id in &ids {
        client
            .execute(
                "WITH m AS (
                    INSERT INTO messages (id, app_id, event_type, version, data, created_at)
                    VALUES ($1, $2, 'user.created', '1.0', '{}', now())
                    RETURNING id, app_id, created_at
                 )
                 INSERT INTO message_outbox SELECT * FROM m",
                &[id, &app],
            )
            .await
            .unwrap();
    }
    let envelope = |id: &uuid::Uuid| MessageAccepted {
        message_id: id.to_string(),
        app_id: f.app_id.clone(),
        event_type: "user.created".into(),
        version: "1.0".into(),
        payload: json!({"type": "user.created", "data": {}})
            .to_string()
            .into_bytes(),
        accepted_at_micros: hookd_bus::now_micros(),
        ..Default::default()
    };
    let batch = MessageAccepted::nest(envelope(&ids[0]), ids[1..].iter().map(envelope).collect());
    let topology = Topology::new(stack.settings.amqp.prefix.clone());
    let publisher = Publisher::connect(stack.settings.amqp.url.expose(), topology)
        .await
        .unwrap();
    publisher
        .publish(Route::Messages, &batch.encode_to_vec())
        .await
        .unwrap();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |r| r.len() >= 3)
            .await,
        "not every envelope of the batch was routed"
    );
    let got: HashSet<String> = stack
        .receiver
        .received_at("/batch")
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect();
    let sent: HashSet<String> = ids.iter().map(|i| i.to_string()).collect();
    assert_eq!(got, sent);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_arrive_once_without_the_relay() {
    let stack = TestStack::spawn_with(no_relay).await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/many", json!({})).await;
    let path = format!("/api/v1/apps/{}/messages", f.app_id);
    let sends = (0..200).map(|i| {
        let (api, path) = (stack.api.clone(), path.clone());
        async move {
            let r = api
                .post(
                    &path,
                    &json!({"event_type": "user.created", "data": {"i": i}}),
                )
                .await;
            assert_eq!(r.status, 202, "{}", r.text);
            r.body["id"].as_str().unwrap().to_owned()
        }
    });
    let sent: HashSet<String> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .collect();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r.len() >= 200)
            .await,
        "not every send arrived"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got: Vec<String> = stack
        .receiver
        .received_at("/many")
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect();
    assert_eq!(got.len(), 200, "a send arrived twice");
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), sent);
    stack.stop().await;
}
