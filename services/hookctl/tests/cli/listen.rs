//! `hookctl listen`: a cli endpoint's deliveries forwarded to a local URL, waiting while no
//! CLI is connected, flowing again on reconnect; one held by a CLI that was killed comes again
//! with the same webhook-id (what receivers deduplicate by).

use crate::bare;
use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// A cli endpoint of the fixture's subscription, once the router routes to it.
async fn cli_endpoint(stack: &TestStack, f: &Fixture) -> Value {
    let endpoint = created(
        stack
            .api
            .post(
                &format!("/api/v1/subscriptions/{}/endpoints", f.subscription_id),
                &json!({"kind": "cli", "event_types": ["user.created"]}),
            )
            .await,
    );
    assert_eq!(endpoint["kind"], "cli", "{endpoint}");
    let id: uuid::Uuid = endpoint["id"].as_str().unwrap().parse().unwrap();
    stack.wait_view(|v| v.endpoint(id).is_some()).await;
    endpoint
}

fn listen(
    stack: &TestStack,
    endpoint_id: &str,
    forward: &str,
) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut cmd = bare();
    cmd.args(["--url", &stack.base, "--api-key", ADMIN_KEY])
        .args(["listen", "--endpoint", endpoint_id, "--forward", forward])
        .args(["--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().expect("hookctl runs");
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

/// Reads printed forwards until `done` holds on all of them.
async fn read_until(
    lines: &mut Lines<BufReader<ChildStdout>>,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while !done(&seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = tokio::time::timeout(left, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("hookctl listen printed only {seen:?}"))
            .unwrap()
            .expect("hookctl listen kept running");
        seen.push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")));
    }
    seen
}

/// Waits until every delivery of `message_id` waits for a CLI (parked: due, and held by none).
async fn wait_parked(stack: &TestStack, message_id: &str) {
    let id: uuid::Uuid = message_id.parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = stack
            .db()
            .await
            .query_opt(
                "SELECT status, attempt_count, next_attempt_at IS NULL AND NOT queued
                 FROM deliveries WHERE message_id = $1",
                &[&id],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            if row.get::<_, bool>(2) {
                assert_eq!(row.get::<_, &str>(0), "pending");
                assert_eq!(row.get::<_, i32>(1), 0, "no try while no CLI is connected");
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "delivery of {message_id} never parked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn send(stack: &TestStack, f: &Fixture, n: i64) -> String {
    let sent = stack
        .send(f, json!({"event_type": "user.created", "data": {"n": n}}))
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text);
    sent.body["id"].as_str().unwrap().to_owned()
}

fn succeeded(seen: &[Value], id: &str) -> bool {
    seen.iter()
        .any(|l| l["message_id"] == id && l["delivery_status"] == "succeeded")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forwards_waits_while_disconnected_and_resumes_on_reconnect() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let endpoint = cli_endpoint(&stack, &f).await;
    let endpoint_id = endpoint["id"].as_str().unwrap();
    let secret = endpoint["secret"].as_str().unwrap();
    // The first forward fails: a failed try follows the retry schedule, as for any endpoint.
    stack.receiver.set(
        "/local",
        hookd_testkit::Behavior::FailFirst {
            times: 1,
            status: 500,
        },
    );
    let forward = stack.receiver.url("/local");

    // Sent before any CLI connected: it waits, untried.
    let m0 = send(&stack, &f, 0).await;
    wait_parked(&stack, &m0).await;
    assert!(stack.receiver.received_at("/local").is_empty());

    let (mut child, mut lines) = listen(&stack, endpoint_id, &forward);
    let seen = read_until(&mut lines, |seen| succeeded(seen, &m0)).await;
    let tries: Vec<(i64, i64)> = seen
        .iter()
        .map(|l| {
            (
                l["attempt"].as_i64().unwrap(),
                l["response_status"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(tries, vec![(1, 500), (2, 200)], "{seen:?}");
    assert_eq!(seen[0]["delivery_status"], "pending", "{seen:?}");

    // Killed: what is sent meanwhile waits, untried.
    child.kill().await.unwrap();
    let m1 = send(&stack, &f, 1).await;
    let m2 = send(&stack, &f, 2).await;
    wait_parked(&stack, &m1).await;
    wait_parked(&stack, &m2).await;

    // On reconnect they flow.
    let (mut child, mut lines) = listen(&stack, endpoint_id, &forward);
    read_until(&mut lines, |seen| {
        succeeded(seen, &m1) && succeeded(seen, &m2)
    })
    .await;
    child.kill().await.unwrap();

    // Each request is signed as any webhook, and names its message: deduplicated by
    // webhook-id, the receiver has each message once.
    let received = stack.receiver.received_at("/local");
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    for r in &received {
        let id = r.header("webhook-id").expect("webhook-id").to_owned();
        let timestamp: i64 = r.header("webhook-timestamp").unwrap().parse().unwrap();
        let signature = r.header("webhook-signature").unwrap();
        assert!(
            hookd_signing::verify(secret, &id, timestamp, &r.body, signature),
            "bad signature on {id}"
        );
        assert_eq!(r.json()["id"], id.as_str());
        *by_id.entry(id).or_default() += 1;
    }
    let ids: BTreeSet<&str> = by_id.keys().map(String::as_str).collect();
    assert_eq!(ids, BTreeSet::from([m0.as_str(), m1.as_str(), m2.as_str()]));
    assert_eq!(by_id[&m0], 2, "one failed try, one success: {by_id:?}");

    // The attempts are hookd's own record, as for an http endpoint.
    let d = stack
        .eventually(
            &format!("/api/v1/endpoints/{endpoint_id}/deliveries"),
            Duration::from_secs(10),
            |b| b["models"].as_array().is_some_and(|m| m.len() == 3),
        )
        .await;
    for delivery in d["models"].as_array().unwrap() {
        assert_eq!(delivery["status"], "succeeded", "{d}");
    }
    // Counted where they are logged: four handed out, three successes and one failure reported.
    let metrics = stack.api.get("/metrics").await.text;
    let sum = |name: &str| hookd_testkit::metric_sum(&metrics, name);
    assert!(sum("hookd_ingest_cli_handouts_total") >= 4.0, "{metrics}");
    assert_eq!(sum("hookd_ingest_cli_attempts_total"), 4.0, "{metrics}");
    assert!(
        metrics
            .lines()
            .any(|l| l == "hookd_ingest_cli_attempts_total{outcome=\"success\"} 3"),
        "{metrics}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delivery_held_by_a_killed_cli_comes_again_with_the_same_webhook_id() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let endpoint = cli_endpoint(&stack, &f).await;
    let endpoint_id = endpoint["id"].as_str().unwrap();
    let gate = hookd_testkit::Gate::default();
    stack
        .receiver
        .set("/held", hookd_testkit::Behavior::Hold(gate.clone()));
    let forward = stack.receiver.url("/held");

    let (mut child, _lines) = listen(&stack, endpoint_id, &forward);
    let m = send(&stack, &f, 7).await;
    // Forwarded, and killed before the answer: the try is never reported.
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r
                .iter()
                .any(|r| r.path == "/held"))
            .await
    );
    child.kill().await.unwrap();
    gate.open();

    // Released when its stream ended (well before its lease would run out), and handed to
    // the next CLI: the same message, the same webhook-id.
    stack
        .receiver
        .set("/held", hookd_testkit::Behavior::Status(200));
    let (mut child, mut lines) = listen(&stack, endpoint_id, &forward);
    let seen = read_until(&mut lines, |seen| succeeded(seen, &m)).await;
    assert_eq!(seen.last().unwrap()["attempt"], 1, "{seen:?}");
    child.kill().await.unwrap();
    let ids: Vec<String> = stack
        .receiver
        .received_at("/held")
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![m.clone(), m.clone()]);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_cli_endpoints_are_listened_to_and_bad_bodies_change_nothing() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let endpoints = format!("/api/v1/subscriptions/{}/endpoints", f.subscription_id);
    let r = stack
        .api
        .post(
            &endpoints,
            &json!({"kind": "cli", "url": "http://127.0.0.1:1/x", "event_types": ["user.created"]}),
        )
        .await;
    assert_error(&r, 422);
    let r = stack
        .api
        .post(
            &endpoints,
            &json!({"kind": "http", "event_types": ["user.created"]}),
        )
        .await;
    assert_error(&r, 422);
    let http = stack.endpoint(&f, "/http", json!({})).await;
    assert_eq!(http["kind"], "http");
    let http_id = http["id"].as_str().unwrap();
    let r = stack
        .api
        .get(&format!("/api/v1/endpoints/{http_id}/listen"))
        .await;
    assert_error(&r, 422);
    let unknown = uuid::Uuid::new_v4();
    let r = stack
        .api
        .get(&format!("/api/v1/endpoints/{unknown}/listen"))
        .await;
    assert_error(&r, 404);

    let cli = cli_endpoint(&stack, &f).await;
    let cli_id = cli["id"].as_str().unwrap();
    let before = stack.row_counts().await;
    let report = format!("/api/v1/endpoints/{cli_id}/listen/attempts");
    let r = stack
        .api
        .post(
            &report,
            &json!({"delivery_id": uuid::Uuid::new_v4(), "attempt": 1, "response_status": 200}),
        )
        .await;
    assert_error(&r, 404);
    let r = stack
        .api
        .post(
            &report,
            &json!({"delivery_id": uuid::Uuid::new_v4(), "attempt": 1}),
        )
        .await;
    assert_error(&r, 422);
    stack
        .assert_rows_unchanged(&before, &[], "bad reports")
        .await;

    // hookctl says why, and does not retry forever.
    let run = crate::ctl(
        &stack,
        &[
            "listen",
            "--endpoint",
            http_id,
            "--forward",
            "http://127.0.0.1:1/",
        ],
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("cli endpoint"), "{}", run.stderr);
    stack.stop().await;
}
