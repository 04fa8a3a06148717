//! `hookctl listen --source`: a gateway source's events for its CLI destinations (`cli_path`,
//! no url) forwarded to a local URL + cli_path, waiting (`QUEUED`) while no CLI is connected,
//! flowing on reconnect, each forward recorded as a gateway attempt under the connection's
//! retry rule; an event held by a killed CLI comes again with the same event id; a url
//! destination of the same source is delivered as before.

use crate::bare;
use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};
use uuid::Uuid;

/// A connection of source `source` to a new destination; answers the connection.
async fn connect(stack: &TestStack, source: &str, name: &str, destination: Value) -> Value {
    let mut destination = destination;
    destination["name"] = json!(format!("{name}-dst"));
    let r = stack
        .api
        .post(
            "/2024-03-01/connections",
            &json!({
                "name": name,
                "source": {"name": source},
                "destination": destination,
                // Retried 100 ms after a failure: the connection's rule, not the engine's schedule.
                "rules": [{"type": "retry", "strategy": "linear", "count": 3, "interval": 100}],
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

/// Posts to the source's URL + `rest`; answers the request's UUID.
async fn inbound(stack: &TestStack, source: &Value, rest: &str, n: i64) -> Uuid {
    let url = source["url"].as_str().unwrap();
    let path = format!("{}{rest}", url.strip_prefix(&stack.base).unwrap());
    let body = serde_json::to_vec(&json!({"n": n})).unwrap();
    let r = stack
        .api
        .with_key(None)
        .raw(
            "POST",
            &path,
            Some(body.into()),
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    uuid_of(r.body["request_id"].as_str().unwrap())
}

fn uuid_of(id: &str) -> Uuid {
    Uuid::parse_str(&id[4..]).unwrap_or_else(|_| panic!("not an id: {id}"))
}

/// The event of `request` on `connection`, once it waits for a CLI (parked: `QUEUED`, no job,
/// no lease), untried; answers its id as the API shows it.
async fn wait_parked(stack: &TestStack, request: Uuid, connection: Uuid) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = stack
            .db()
            .await
            .query_opt(
                "SELECT id, status, attempts, NOT queued AND next_attempt_at IS NULL
                 FROM gw_events WHERE request_id = $1 AND connection_id = $2",
                &[&request, &connection],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            if row.get::<_, bool>(3) {
                assert_eq!(row.get::<_, &str>(1), "QUEUED");
                assert_eq!(row.get::<_, i32>(2), 0, "no try while no CLI is connected");
                return format!("evt_{}", row.get::<_, Uuid>(0).simple());
            }
        }
        assert!(Instant::now() < deadline, "event of {request} never parked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn listen(
    stack: &TestStack,
    source: &str,
    forward: &str,
) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut cmd = bare();
    cmd.args(["--url", &stack.base, "--api-key", ADMIN_KEY])
        .args(["listen", "--source", source, "--forward", forward])
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

fn successful(seen: &[Value], event_id: &str) -> bool {
    seen.iter()
        .any(|l| l["event_id"] == event_id && l["event_status"] == "SUCCESSFUL")
}

/// `(attempt_number, status, response_status)` of an event's attempts, in order (each sent
/// with the request's method, POST here).
async fn attempts(stack: &TestStack, event_id: &str) -> Vec<(i32, String, Option<i32>)> {
    stack
        .db()
        .await
        .query(
            "SELECT attempt_number, status, response_status FROM gw_attempts
             WHERE event_id = $1 AND http_method = 'POST' ORDER BY attempt_number",
            &[&uuid_of(event_id)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sources_cli_events_wait_flow_on_reconnect_and_are_recorded_as_attempts() {
    let stack = TestStack::spawn().await;
    let cli = connect(&stack, "shop", "to-cli", json!({"cli_path": "/hooks"})).await;
    let web = connect(
        &stack,
        "shop",
        "to-web",
        json!({"url": stack.receiver.url("/web")}),
    )
    .await;
    let source = &cli["source"];
    let (cli_id, web_id) = (
        uuid_of(cli["id"].as_str().unwrap()),
        uuid_of(web["id"].as_str().unwrap()),
    );
    // The first forward fails: the connection's retry rule hands it out again.
    stack.receiver.set(
        "/local/hooks/orders",
        hookd_testkit::Behavior::FailFirst {
            times: 1,
            status: 500,
        },
    );
    let forward = stack.receiver.url("/local");

    // Sent before any CLI connected: it waits, untried, shown as QUEUED.
    let r0 = inbound(&stack, source, "/orders?x=0", 0).await;
    let e0 = wait_parked(&stack, r0, cli_id).await;
    let shown = stack.api.get(&format!("/2024-03-01/events/{e0}")).await;
    assert_eq!(shown.body["status"], "QUEUED", "{}", shown.text);
    assert!(stack.receiver.received_at("/local/hooks/orders").is_empty());

    let (mut child, mut lines) = listen(&stack, "shop", &forward);
    let seen = read_until(&mut lines, |seen| successful(seen, &e0)).await;
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
    assert_eq!(seen[0]["event_status"], "FAILED", "{seen:?}");
    assert_eq!(
        seen[0]["url"],
        format!("{forward}/hooks/orders?x=0"),
        "cli_path, then the request's path and query: {seen:?}"
    );

    // Killed: what is posted meanwhile waits, untried.
    child.kill().await.unwrap();
    let r1 = inbound(&stack, source, "/orders?x=1", 1).await;
    let r2 = inbound(&stack, source, "/orders?x=2", 2).await;
    let e1 = wait_parked(&stack, r1, cli_id).await;
    let e2 = wait_parked(&stack, r2, cli_id).await;

    // On reconnect (by the source's id this time) they flow.
    let (mut child, mut lines) = listen(&stack, source["id"].as_str().unwrap(), &forward);
    read_until(&mut lines, |seen| {
        successful(seen, &e1) && successful(seen, &e2)
    })
    .await;
    child.kill().await.unwrap();

    // Each forward is the event as a worker sends it, named by its event id: deduplicated by
    // it, the receiver has each event once.
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    for r in stack.receiver.received_at("/local/hooks/orders") {
        let id = r.header("x-hookdeck-eventid").expect("event id").to_owned();
        assert_eq!(r.header("idempotency-key"), Some(id.as_str()));
        assert_eq!(r.header("x-hookdeck-source-name"), Some("shop"));
        assert!(r.header("x-hookdeck-signature").is_some());
        assert_eq!(r.method, "POST");
        *by_id.entry(id).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> =
        BTreeMap::from([(e0.clone(), 2), (e1.clone(), 1), (e2.clone(), 1)]);
    assert_eq!(by_id, expected);

    // Every forward is a gateway attempt of its event.
    assert_eq!(
        attempts(&stack, &e0).await,
        vec![
            (1, "FAILED".into(), Some(500)),
            (2, "SUCCESSFUL".into(), Some(200))
        ]
    );
    for e in [&e1, &e2] {
        assert_eq!(
            attempts(&stack, e).await,
            vec![(1, "SUCCESSFUL".into(), Some(200))]
        );
    }

    // The url destination of the same source got each request once, from a worker.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = stack
            .db()
            .await
            .query_one(
                "SELECT count(*) FILTER (WHERE status = 'SUCCESSFUL' AND attempts = 1), count(*)
                 FROM gw_events WHERE connection_id = $1",
                &[&web_id],
            )
            .await
            .unwrap();
        if done.get::<_, i64>(0) == 3 {
            assert_eq!(done.get::<_, i64>(1), 3);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the url destination's events were not delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let web_got = stack.receiver.received_at("/web/orders");
    assert_eq!(web_got.len(), 3);
    assert!(stack.receiver.received_at("/web/hooks/orders").is_empty());

    // Counted with the cli endpoints' forwards: five handed out and reported.
    let metrics = stack.api.get("/metrics").await.text;
    let sum = |name: &str| hookd_testkit::metric_sum(&metrics, name);
    assert!(sum("hookd_ingest_cli_handouts_total") >= 4.0, "{metrics}");
    assert_eq!(sum("hookd_ingest_cli_attempts_total"), 4.0, "{metrics}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_held_by_a_killed_cli_comes_again_with_the_same_event_id() {
    let stack = TestStack::spawn().await;
    let cli = connect(&stack, "held", "to-cli", json!({"cli_path": "/in"})).await;
    let cli_id = uuid_of(cli["id"].as_str().unwrap());
    let gate = hookd_testkit::Gate::default();
    stack
        .receiver
        .set("/local/in", hookd_testkit::Behavior::Hold(gate.clone()));
    let forward = stack.receiver.url("/local");

    let (mut child, _lines) = listen(&stack, "held", &forward);
    let r = inbound(&stack, &cli["source"], "", 7).await;
    // Forwarded, and killed before the answer: the try is never reported.
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r
                .iter()
                .any(|r| r.path == "/local/in"))
            .await
    );
    child.kill().await.unwrap();
    gate.open();
    // Released when its stream ended (well before its lease would run out): parked again.
    let e = wait_parked(&stack, r, cli_id).await;

    stack
        .receiver
        .set("/local/in", hookd_testkit::Behavior::Status(200));
    let (mut child, mut lines) = listen(&stack, "held", &forward);
    let seen = read_until(&mut lines, |seen| successful(seen, &e)).await;
    assert_eq!(seen.last().unwrap()["attempt"], 1, "{seen:?}");
    child.kill().await.unwrap();
    let ids: Vec<String> = stack
        .receiver
        .received_at("/local/in")
        .iter()
        .map(|r| r.header("x-hookdeck-eventid").unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![e.clone(), e.clone()]);
    assert_eq!(
        attempts(&stack, &e).await,
        vec![(1, "SUCCESSFUL".into(), Some(200))]
    );

    // A source that is not there: hookctl says so and stops.
    let run = crate::ctl(
        &stack,
        &[
            "listen",
            "--source",
            "nowhere",
            "--forward",
            "http://127.0.0.1:1/",
        ],
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("source"), "{}", run.stderr);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_waiting_for_a_cli_go_to_the_url_the_destination_is_given() {
    let stack = TestStack::spawn().await;
    let cli = connect(&stack, "moved", "to-cli", json!({"cli_path": "/in"})).await;
    let r = inbound(&stack, &cli["source"], "", 1).await;
    let e = wait_parked(&stack, r, uuid_of(cli["id"].as_str().unwrap())).await;
    let destination = cli["destination"]["id"].as_str().unwrap();
    let url = stack.receiver.url("/now-a-url");
    let updated = stack
        .api
        .raw(
            "PUT",
            &format!("/2024-03-01/destinations/{destination}"),
            Some(json!({ "url": url }).to_string().into()),
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r
                .iter()
                .any(|r| r.path == "/now-a-url"))
            .await,
        "the parked event was not sent to the new url"
    );
    let got = stack.receiver.received_at("/now-a-url");
    assert_eq!(got[0].header("x-hookdeck-eventid"), Some(e.as_str()));
    stack.stop().await;
}
