//! A connection's rules at work: retry (count, strategy, status codes), delay, pause.

use crate::engine_support::*;
use crate::helpers::*;
use crate::support::*;
use hookd_testkit::Behavior;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_destination_gets_one_plus_count_tries_then_fails() {
    let stack = TestStack::spawn().await;
    stack.receiver.set("/down", Behavior::Status(500));
    let c = connect(
        &stack,
        "retrying",
        "down",
        json!({"url": stack.receiver.url("/down")}),
        json!([{"type": "retry", "strategy": "linear", "count": 2, "interval": 100}]),
    )
    .await;
    let request = inbound(&stack, &c["source"], "", b"{}", &[]).await;
    let events = wait_events(&stack, request, |e| {
        e.len() == 1 && e[0].0 == "FAILED" && e[0].1 == 3
    })
    .await;
    assert_eq!(events[0].1, 3);
    let tries = attempts(&stack, request).await;
    let expected: Vec<_> = ["INITIAL", "AUTOMATIC", "AUTOMATIC"]
        .iter()
        .map(|t| (t.to_string(), "FAILED".to_owned(), Some(500)))
        .collect();
    assert_eq!(tries, expected);
    let row = stack
        .db()
        .await
        .query_one(
            "SELECT next_attempt_at IS NULL, response_status FROM gw_events WHERE request_id = $1",
            &[&request],
        )
        .await
        .unwrap();
    assert!(
        row.get::<_, bool>(0),
        "a retry is still due after the last try"
    );
    assert_eq!(row.get::<_, Option<i32>>(1), Some(500));
    // Settled: no fourth try comes (the scheduler polls every 50 ms; give it many rounds).
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(stack.receiver.received_at("/down").len(), 3);
    let heads: Vec<_> = stack
        .receiver
        .received_at("/down")
        .iter()
        .map(|r| r.header("x-hookdeck-attempt-count").unwrap().to_owned())
        .collect();
    assert_eq!(heads, vec!["1", "2", "3"]);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_status_outside_the_rule_codes_is_not_retried() {
    let stack = TestStack::spawn().await;
    stack.receiver.set("/nope", Behavior::Status(501));
    stack.receiver.set(
        "/flaky",
        Behavior::FailFirst {
            times: 1,
            status: 503,
        },
    );
    let rules = json!([{"type": "retry", "strategy": "exponential", "count": 3, "interval": 100,
        "response_status_codes": ["500-599", "!501"]}]);
    let nope = connect(
        &stack,
        "codes",
        "nope",
        json!({"url": stack.receiver.url("/nope")}),
        rules.clone(),
    )
    .await;
    connect(
        &stack,
        "codes",
        "flaky",
        json!({"url": stack.receiver.url("/flaky")}),
        rules,
    )
    .await;
    let request = inbound(&stack, &nope["source"], "", b"{}", &[]).await;
    let events = wait_events(&stack, request, |e| {
        e.len() == 2
            && e.iter().all(|(s, _, _)| s == "FAILED" || s == "SUCCESSFUL")
            && e[1].0 == "SUCCESSFUL"
    })
    .await;
    // 501 is excluded: one try, no retry due.
    assert_eq!(events[0], ("FAILED".to_owned(), 1, events[0].2));
    // 503 is in: retried once, then it succeeded.
    assert_eq!(events[1].1, 2);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(stack.receiver.received_at("/nope").len(), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delay_rule_schedules_the_event_then_delivers_it() {
    let stack = TestStack::spawn().await;
    let c = connect(
        &stack,
        "later",
        "later",
        json!({"url": stack.receiver.url("/later")}),
        json!([{"type": "delay", "delay": 1500}]),
    )
    .await;
    let request = inbound(&stack, &c["source"], "", b"{}", &[]).await;
    let events = wait_events(&stack, request, |e| !e.is_empty()).await;
    assert_eq!(events[0].0, "SCHEDULED", "{events:?}");
    assert!(stack.receiver.received_at("/later").is_empty());
    let events = wait_events(&stack, request, |e| e[0].0 == "SUCCESSFUL").await;
    assert_eq!(events[0].1, 1);
    let got = stack.receiver.received_at("/later");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("x-hookdeck-attempt-trigger"), Some("INITIAL"));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pause_holds_events_and_unpause_delivers_them() {
    let stack = TestStack::spawn().await;
    let c = connect(
        &stack,
        "held",
        "held",
        json!({"url": stack.receiver.url("/held")}),
        json!([]),
    )
    .await;
    ok(call(
        &stack.api,
        "PUT",
        &format!("/connections/{}/pause", id(&c)),
        None,
    )
    .await);
    let mut requests = Vec::new();
    for n in 0..3 {
        requests.push(inbound(&stack, &c["source"], "", format!("{n}").as_bytes(), &[]).await);
    }
    for r in &requests {
        let events = wait_events(&stack, *r, |e| !e.is_empty()).await;
        assert_eq!(events[0].0, "HOLD");
    }
    // Held: the scheduler (every 50 ms) sends nothing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(stack.receiver.received_at("/held").is_empty());

    ok(call(
        &stack.api,
        "PUT",
        &format!("/connections/{}/unpause", id(&c)),
        None,
    )
    .await);
    for r in &requests {
        let events = wait_events(&stack, *r, |e| e[0].0 == "SUCCESSFUL").await;
        assert_eq!(events[0].1, 1);
        let tries = attempts(&stack, *r).await;
        assert_eq!(tries[0].0, "UNPAUSE");
    }
    let got = stack.receiver.received_at("/held");
    assert_eq!(got.len(), 3);
    assert!(got
        .iter()
        .all(|r| r.header("x-hookdeck-attempt-trigger") == Some("UNPAUSE")));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_muted_event_gets_no_automatic_try() {
    let stack = TestStack::spawn().await;
    stack.receiver.set("/muted", Behavior::Status(500));
    let c = connect(
        &stack,
        "muting",
        "muted",
        json!({"url": stack.receiver.url("/muted")}),
        json!([{"type": "retry", "strategy": "linear", "count": 5, "interval": 1000}]),
    )
    .await;
    let request = inbound(&stack, &c["source"], "", b"{}", &[]).await;
    wait_events(&stack, request, |e| e.len() == 1 && e[0].0 == "FAILED").await;
    // What the API's mute does to a retrying event.
    stack
        .db()
        .await
        .execute(
            "UPDATE gw_events SET muted_at = now() WHERE request_id = $1",
            &[&request],
        )
        .await
        .unwrap();
    // When its retry comes due the scheduler drops it instead of sending it.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let row = stack
            .db()
            .await
            .query_one(
                "SELECT next_attempt_at IS NULL, status, attempts FROM gw_events
                 WHERE request_id = $1",
                &[&request],
            )
            .await
            .unwrap();
        if row.get::<_, bool>(0) {
            assert_eq!(row.get::<_, String>(1), "FAILED");
            assert_eq!(row.get::<_, i32>(2), 1);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the retry stayed due");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stack.receiver.received_at("/muted").len(), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_destination_rate_limit_puts_tries_off_to_its_period() {
    let stack = TestStack::spawn().await;
    let c = connect(
        &stack,
        "limited",
        "limited",
        json!({"url": stack.receiver.url("/limited"), "rate_limit": 1,
            "rate_limit_period": "hour"}),
        json!([]),
    )
    .await;
    let first = inbound(&stack, &c["source"], "", b"1", &[]).await;
    wait_events(&stack, first, |e| e.len() == 1 && e[0].0 == "SUCCESSFUL").await;
    let second = inbound(&stack, &c["source"], "", b"2", &[]).await;
    // The second waits for the hour's next token: queued, not in flight, due in about an hour.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let row = stack
            .db()
            .await
            .query_opt(
                "SELECT next_attempt_at > now() + interval '30 minutes', queued, status
                 FROM gw_events WHERE request_id = $1",
                &[&second],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            if row.get::<_, Option<bool>>(0) == Some(true) && !row.get::<_, bool>(1) {
                assert_eq!(row.get::<_, String>(2), "QUEUED");
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second try was not put off"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stack.receiver.received_at("/limited").len(), 1);
    stack.stop().await;
}
