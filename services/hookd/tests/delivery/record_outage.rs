//! PostgreSQL lost while tries are in flight: each answered try is recorded once the database
//! is back, and nothing is sent a second time meanwhile. Before, the worker requeued a try it
//! could not record and sent it again on every turn (the duplicates `make chaos` counted at a
//! database crash). A message's delivery and a gateway event's.

use crate::helpers::*;
use hookd_config::Secret;
use hookd_testkit::{through, upstream_of, Behavior, FaultProxy, Gate};
use serde_json::json;
use std::time::{Duration, Instant};

const TRIES: usize = 3;

/// A stack that reaches PostgreSQL through a proxy the test can cut; `path` holds its
/// requests until the returned gate opens.
async fn stack_behind_proxy(path: &str) -> (TestStack, FaultProxy, Gate) {
    let proxy = FaultProxy::start(upstream_of(test_settings().database.url.expose())).await;
    let stack = TestStack::spawn_with(|s| {
        s.database.url = Secret::new(through(s.database.url.expose(), proxy.addr()))
    })
    .await;
    let gate = Gate::default();
    stack.receiver.set(path, Behavior::Hold(gate.clone()));
    (stack, proxy, gate)
}

/// With `TRIES` requests held at `path`: cuts the database, lets the endpoint answer, keeps
/// the database away for 3 s, restores it and waits until `recorded` counts every try.
async fn answer_during_outage(
    stack: &TestStack,
    proxy: &FaultProxy,
    gate: &Gate,
    path: &str,
    recorded: &str,
) {
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |got| got
                .iter()
                .filter(|r| r.path == path)
                .count()
                == TRIES)
            .await,
        "the tries did not reach the endpoint"
    );
    proxy.cut();
    gate.open();
    tokio::time::sleep(Duration::from_secs(3)).await;
    proxy.restore();
    let db = stack.db().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n: i64 = db.query_one(recorded, &[]).await.unwrap().get(0);
        if n as usize >= TRIES {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{n} of {TRIES} tries recorded after the outage"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Room for a late second copy to show up.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let n: i64 = db.query_one(recorded, &[]).await.unwrap().get(0);
    assert_eq!(n as usize, TRIES, "a try was recorded twice");
    assert_eq!(
        stack.receiver.received_at(path).len(),
        TRIES,
        "a request went out again while the database was away"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_try_answered_while_postgres_is_away_is_recorded_not_resent() {
    let (stack, proxy, gate) = stack_behind_proxy("/outage").await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/outage", json!({})).await;
    for i in 0..TRIES {
        let r = stack
            .send(&f, json!({"event_type": "user.created", "data": {"i": i}}))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    answer_during_outage(
        &stack,
        &proxy,
        &gate,
        "/outage",
        "SELECT count(*) FROM attempts",
    )
    .await;
    let succeeded: i64 = stack
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM deliveries WHERE status = 'succeeded'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(succeeded as usize, TRIES);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gateway_try_answered_while_postgres_is_away_is_recorded_not_resent() {
    let (stack, proxy, gate) = stack_behind_proxy("/gw-outage").await;
    let connection = stack
        .api
        .raw(
            "POST",
            "/2024-03-01/connections",
            Some(
                json!({"name": "outage", "source": {"name": "outage-src"},
                    "destination": {"name": "outage-dst",
                        "url": stack.receiver.url("/gw-outage")}})
                .to_string()
                .into(),
            ),
            &[],
        )
        .await;
    assert_eq!(connection.status, 200, "{}", connection.text);
    let source_url = connection.body["source"]["url"].as_str().unwrap();
    let source_path = source_url.strip_prefix(&stack.base).unwrap();
    for i in 0..TRIES {
        let r = stack
            .api
            .with_key(None)
            .raw(
                "POST",
                source_path,
                Some(format!("{{\"i\":{i}}}").into_bytes().into()),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    answer_during_outage(
        &stack,
        &proxy,
        &gate,
        "/gw-outage",
        "SELECT count(*) FROM gw_attempts",
    )
    .await;
    let successful: i64 = stack
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM gw_events WHERE status = 'SUCCESSFUL'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(successful as usize, TRIES);
    stack.stop().await;
}
