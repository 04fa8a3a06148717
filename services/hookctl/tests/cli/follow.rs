//! `--follow`: messages printed as they are sent (one JSON per line), and a delivery printed
//! again as its status moves.

use crate::bare;
use crate::helpers::*;
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

fn follow(stack: &TestStack, args: &[&str]) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut cmd = bare();
    cmd.args(["--url", &stack.base, "--api-key", ADMIN_KEY])
        .args(args)
        .args(["--follow", "--interval", "100", "--output", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().expect("hookctl runs");
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

/// Reads lines until `done` holds on everything read so far; every line is one JSON object.
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
            .unwrap_or_else(|_| panic!("--follow printed only {seen:?}"))
            .unwrap()
            .expect("hookctl --follow kept running");
        seen.push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn messages_appear_as_they_are_sent_and_deliveries_as_they_change() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.receiver.set(
        "/slow",
        hookd_testkit::Behavior::FailFirst {
            times: 1,
            status: 503,
        },
    );
    stack.endpoint(&f, "/slow", json!({})).await;
    let first = stack
        .send(&f, json!({"event_type": "user.created", "data": {"n": 0}}))
        .await;
    assert_eq!(first.status, 202, "{}", first.text);

    let (mut child, mut lines) = follow(&stack, &["messages", "list", "--app", &f.app_id]);
    // What existed before it started, then each new one, once.
    read_until(&mut lines, |seen| {
        seen.iter().any(|m| m["id"] == first.body["id"])
    })
    .await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        let sent = stack
            .send(&f, json!({"event_type": "user.created", "data": {"n": n}}))
            .await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        ids.push(sent.body["id"].clone());
    }
    let seen = read_until(&mut lines, |seen| {
        ids.iter().all(|id| seen.iter().any(|m| &m["id"] == id))
    })
    .await;
    for id in &ids {
        assert_eq!(
            seen.iter().filter(|m| &m["id"] == id).count(),
            1,
            "{seen:?}"
        );
    }
    child.kill().await.unwrap();

    // The first message's delivery: failed once, then succeeded; followed, it is printed at
    // each state it is seen in, and at last as succeeded.
    let message_id = first.body["id"].as_str().unwrap();
    let (mut child, mut lines) = follow(&stack, &["deliveries", "list", "--message", message_id]);
    let seen = read_until(&mut lines, |seen| {
        seen.iter().any(|d| d["status"] == "succeeded")
    })
    .await;
    assert!(
        seen.iter().all(|d| d["message_id"] == message_id),
        "{seen:?}"
    );
    child.kill().await.unwrap();
    stack.stop().await;
}
