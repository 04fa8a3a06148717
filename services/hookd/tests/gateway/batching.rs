//! Concurrent work shares statements and commits (issue 11's throughput): requests at a
//! source URL are inserted in batches by ingest, routed in batches by the router and their
//! attempts recorded in batches by delivery. Rows written by one transaction share its `xmin`,
//! so fewer distinct `xmin` than rows shows a batch; load is sent in rounds until one shows
//! up (bounded), since how requests meet in a batch depends on timing. Every answer still
//! means durable, and each request is delivered exactly once.

use crate::engine_support::*;
use crate::helpers::*;
use crate::support::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const ROUND: usize = 64;
const ROUNDS: usize = 10;

/// Posts `ROUND` requests at once, bodies `{"n": first..}`; returns their answers.
async fn round(stack: &TestStack, source: &Value, first: usize) -> Vec<(u16, Value)> {
    let path = source_path(source, &stack.base);
    let anonymous = stack.api.with_key(None);
    futures_util::future::join_all((first..first + ROUND).map(|n| {
        let (anonymous, path) = (anonymous.clone(), path.clone());
        async move {
            let r = anonymous
                .raw(
                    "POST",
                    &path,
                    Some(json!({ "n": n }).to_string().into()),
                    &[],
                )
                .await;
            (r.status, r.body)
        }
    }))
    .await
}

/// Rows of `table` and the transactions that wrote them.
async fn rows_and_writers(stack: &TestStack, table: &str) -> (i64, i64) {
    let row = stack
        .db()
        .await
        .query_one(
            &format!("SELECT count(*), count(DISTINCT xmin::text) FROM {table}"),
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// Rows whose ids are among `ids`.
async fn stored(stack: &TestStack, ids: &[uuid::Uuid]) -> i64 {
    stack
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM gw_requests WHERE id = ANY($1)",
            &[&ids],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_at_a_source_url_are_inserted_in_shared_commits() {
    let stack = TestStack::spawn().await;
    // A disabled source: every request is stored with its cause and never routed, so its row
    // keeps the `xmin` of ingest's insert.
    let source = ok(call(&stack.api, "POST", "/sources", Some(json!({"name": "off"}))).await);
    ok(call(
        &stack.api,
        "PUT",
        &format!("/sources/{}/disable", id(&source)),
        None,
    )
    .await);
    let mut answered = Vec::new();
    for r in 0..ROUNDS {
        for (status, body) in round(&stack, &source, r * ROUND).await {
            assert_eq!(status, 403, "{body}");
            answered.push(uuid_of(body["data"]["request_id"].as_str().unwrap()));
        }
        // Each answer came after its commit.
        assert_eq!(stored(&stack, &answered).await, answered.len() as i64);
        let (rows, writers) = rows_and_writers(&stack, "gw_requests").await;
        assert_eq!(rows, answered.len() as i64);
        if writers < rows {
            stack.stop().await;
            return;
        }
    }
    panic!(
        "{} concurrent requests never shared an insert",
        ROUND * ROUNDS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_are_routed_and_recorded_in_batches_and_delivered_once() {
    let stack = TestStack::spawn().await;
    let c = connect(
        &stack,
        "shop",
        "to-app",
        json!({"url": stack.receiver.url("/hook")}),
        json!([]),
    )
    .await;
    // A connection whose filter never matches: the router records an ignored event per
    // request, insert-only rows that keep the `xmin` of the routing transaction.
    connect(
        &stack,
        "shop",
        "never",
        json!({"url": stack.receiver.url("/never")}),
        json!([{"type": "filter", "body": {"never": true}}]),
    )
    .await;
    let mut sent = 0;
    for _ in 0..ROUNDS {
        for (status, body) in round(&stack, &c["source"], sent).await {
            assert_eq!(status, 200, "{body}");
        }
        sent += ROUND;
        let deadline = Instant::now() + Duration::from_secs(60);
        while stack.receiver.received_at("/hook").len() < sent {
            assert!(
                Instant::now() < deadline,
                "{} of {sent} delivered",
                stack.receiver.received_at("/hook").len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (ignored, routers) = rows_and_writers(&stack, "gw_ignored_events").await;
        // Attempts are recorded after the answer was received: wait for every one.
        let deadline = Instant::now() + Duration::from_secs(30);
        let (attempts, recorders) = loop {
            let (attempts, recorders) = rows_and_writers(&stack, "gw_attempts").await;
            if attempts == sent as i64 {
                break (attempts, recorders);
            }
            assert!(
                Instant::now() < deadline,
                "{attempts} of {sent} attempts recorded"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(ignored, sent as i64, "one ignored event per request");
        if routers < ignored && recorders < attempts {
            break;
        }
        assert!(
            sent < ROUND * ROUNDS,
            "routing or recording never shared a transaction: \
            {ignored} ignored events by {routers}, {attempts} attempts by {recorders}"
        );
    }
    // Exactly once: each body once at the destination, nothing at the filtered one.
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for got in stack.receiver.received_at("/hook") {
        *seen.entry(got.json()["n"].as_i64().unwrap()).or_default() += 1;
    }
    assert_eq!(seen.len(), sent, "missing deliveries");
    assert!(seen.values().all(|&n| n == 1), "duplicates: {seen:?}");
    assert!(stack.receiver.received_at("/never").is_empty());
    let row = stack
        .db()
        .await
        .query_one(
            "SELECT count(*) FILTER (WHERE status = 'SUCCESSFUL' AND attempts = 1), count(*)
             FROM gw_events",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, i64>(0), row.get::<_, i64>(1)),
        (sent as i64, sent as i64)
    );
    stack.stop().await;
}
