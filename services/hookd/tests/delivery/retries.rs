use crate::helpers::*;
use hookd_testkit::Behavior;
use serde_json::{json, Value};
use std::time::Duration;

async fn only_delivery(stack: &TestStack, message: &Value, pred: impl Fn(&Value) -> bool) -> Value {
    let path = format!(
        "/api/v1/messages/{}/deliveries",
        message["id"].as_str().unwrap()
    );
    let body = stack
        .eventually(&path, Duration::from_secs(15), |b| {
            b["count"] == 1 && pred(&b["models"][0])
        })
        .await;
    body["models"][0].clone()
}

async fn attempts(stack: &TestStack, delivery: &Value) -> Vec<Value> {
    let r = stack
        .api
        .get(&format!(
            "/api/v1/deliveries/{}/attempts?dir=asc",
            delivery["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["models"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_tries_are_retried_on_the_schedule_until_success() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.receiver.set(
        "/flaky",
        Behavior::FailFirst {
            times: 2,
            status: 500,
        },
    );
    stack.endpoint(&f, "/flaky", json!({})).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": {"x": 1}}))
        .await
        .body;
    let d = only_delivery(&stack, &m, |d| d["status"] == "succeeded").await;
    assert_eq!(d["attempt_count"], 3);
    assert_eq!(d["next_attempt_at"], Value::Null);
    let a = attempts(&stack, &d).await;
    let statuses: Vec<_> = a.iter().map(|a| a["response_status"].clone()).collect();
    assert_eq!(statuses, vec![json!(500), json!(500), json!(200)]);
    // Every try carries the same webhook-id.
    let got = stack.receiver.received_at("/flaky");
    assert_eq!(got.len(), 3);
    assert!(got
        .iter()
        .all(|g| g.header("webhook-id") == m["id"].as_str()));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delivery_fails_after_its_last_try() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.receiver.set("/down", Behavior::Status(503));
    stack.endpoint(&f, "/down", json!({})).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await
        .body;
    let d = only_delivery(&stack, &m, |d| d["status"] == "failed").await;
    assert_eq!(
        d["attempt_count"], 3,
        "schedule 0s,300ms,300ms is three tries"
    );
    assert_eq!(d["next_attempt_at"], Value::Null);
    assert_eq!(attempts(&stack, &d).await.len(), 3);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        stack.receiver.received_at("/down").len(),
        3,
        "no try after the last"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gone_disables_the_endpoint() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.receiver.set("/gone", Behavior::Status(410));
    let e = stack.endpoint(&f, "/gone", json!({})).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await
        .body;
    let d = only_delivery(&stack, &m, |d| d["status"] == "failed").await;
    assert_eq!(d["attempt_count"], 1);
    let endpoint = stack
        .api
        .get(&format!(
            "/api/v1/subscriptions/{}/endpoints/{}",
            f.subscription_id,
            e["id"].as_str().unwrap()
        ))
        .await
        .body;
    assert_eq!(endpoint["status"], "disabled");
    assert!(endpoint["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("410"));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retry_after_lengthens_the_delay() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.receiver.set(
        "/busy",
        Behavior::Respond {
            status: 429,
            body: "slow down".into(),
            headers: vec![("retry-after".into(), "30".into())],
        },
    );
    stack.endpoint(&f, "/busy", json!({})).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await
        .body;
    let d = only_delivery(&stack, &m, |d| {
        d["attempt_count"] == 1 && d["status"] == "pending"
    })
    .await;
    let a = attempts(&stack, &d).await;
    let tried = chrono::DateTime::parse_from_rfc3339(a[0]["created_at"].as_str().unwrap()).unwrap();
    let next =
        chrono::DateTime::parse_from_rfc3339(d["next_attempt_at"].as_str().unwrap()).unwrap();
    // The schedule says 300 ms; the endpoint asked for 30 s.
    assert!(
        next - tried >= chrono::Duration::seconds(29),
        "next try at {next}, tried at {tried}"
    );
    assert_eq!(a[0]["response_body"], "slow down");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_response_body_with_a_nul_byte_is_recorded() {
    // PostgreSQL's text cannot hold NUL: stored as it came, the attempt could never be
    // recorded, and the delivery would be tried again and again.
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.receiver.set(
        "/nul",
        Behavior::Respond {
            status: 200,
            body: "ok\0done".into(),
            headers: vec![],
        },
    );
    stack.endpoint(&f, "/nul", json!({})).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await
        .body;
    let d = only_delivery(&stack, &m, |d| d["status"] == "succeeded").await;
    let a = attempts(&stack, &d).await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0]["response_body"], "ok\u{fffd}done");
    assert_eq!(stack.receiver.received_at("/nul").len(), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redirects_are_not_followed_and_bodies_are_cut_to_4_kib() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let target = stack.receiver.url("/elsewhere");
    stack.receiver.set(
        "/moved",
        Behavior::Respond {
            status: 302,
            body: String::new(),
            headers: vec![("location".into(), target)],
        },
    );
    stack.receiver.set(
        "/big",
        Behavior::Respond {
            status: 200,
            body: "x".repeat(10_000),
            headers: vec![],
        },
    );
    stack.endpoint(&f, "/moved", json!({})).await;
    stack.endpoint(&f, "/big", json!({})).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await
        .body;
    let path = format!("/api/v1/messages/{}/deliveries", m["id"].as_str().unwrap());
    let all = stack
        .eventually(&path, Duration::from_secs(15), |b| {
            b["models"]
                .as_array()
                .is_some_and(|ds| ds.len() == 2 && ds.iter().all(|d| d["status"] != "pending"))
        })
        .await;
    for d in all["models"].as_array().unwrap() {
        let a = attempts(&stack, d).await;
        match a[0]["response_status"].as_i64() {
            Some(302) => assert_eq!(d["status"], "failed", "a redirect is a failed try"),
            Some(200) => {
                assert_eq!(d["status"], "succeeded");
                assert_eq!(a[0]["response_body"].as_str().unwrap().len(), 4096);
            }
            other => panic!("unexpected status {other:?}"),
        }
    }
    assert!(
        stack.receiver.received_at("/elsewhere").is_empty(),
        "redirect was followed"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_try_times_out() {
    let stack = TestStack::spawn_with(|s| {
        s.delivery.timeout = Duration::from_millis(500);
        s.delivery.retry_schedule = vec![Duration::ZERO];
    })
    .await;
    let f = stack.fixture().await;
    stack
        .receiver
        .set("/slow", Behavior::Delay(Duration::from_secs(3)));
    stack.endpoint(&f, "/slow", json!({})).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await
        .body;
    let d = only_delivery(&stack, &m, |d| d["status"] == "failed").await;
    let a = attempts(&stack, &d).await;
    assert_eq!(a[0]["response_status"], Value::Null);
    assert!(
        a[0]["error"].as_str().unwrap().contains("timed out"),
        "{}",
        a[0]
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn manual_and_bulk_retries_send_failed_deliveries_again() {
    let stack = TestStack::spawn_with(|s| s.delivery.retry_schedule = vec![Duration::ZERO]).await;
    let f = stack.fixture().await;
    stack.receiver.set("/later", Behavior::Status(500));
    stack.endpoint(&f, "/later", json!({})).await;
    let mut messages = Vec::new();
    for i in 0..3 {
        messages.push(
            stack
                .send(&f, json!({"event_type": "user.created", "data": i}))
                .await
                .body,
        );
    }
    let mut failed = Vec::new();
    for m in &messages {
        failed.push(only_delivery(&stack, m, |d| d["status"] == "failed").await);
    }
    stack.receiver.set("/later", Behavior::Status(200));

    // One delivery by hand.
    let r = stack
        .api
        .post(
            &format!(
                "/api/v1/deliveries/{}/retry",
                failed[0]["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let d = only_delivery(&stack, &messages[0], |d| d["status"] == "succeeded").await;
    assert_eq!(d["attempt_count"], 2);

    // The rest in bulk, by status.
    let r = stack
        .api
        .post(
            &format!("/api/v1/apps/{}/deliveries/retry", f.app_id),
            &json!({"status": "failed"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["count"], 2);
    for m in &messages[1..] {
        only_delivery(&stack, m, |d| d["status"] == "succeeded").await;
    }
    // Nothing failed is left, so a second bulk retry selects nothing.
    let r = stack
        .api
        .post(
            &format!("/api/v1/apps/{}/deliveries/retry", f.app_id),
            &json!({"status": "failed"}),
        )
        .await;
    assert_eq!(r.body["count"], 0);
    // A delivery whose job is in flight is not retried twice.
    let client = stack.db().await;
    client
        .execute("UPDATE deliveries SET status = 'pending', queued = true, next_attempt_at = now() + interval '1 hour' WHERE id = $1::text::uuid", &[&failed[0]["id"].as_str().unwrap()])
        .await
        .unwrap();
    let r = stack
        .api
        .post(
            &format!(
                "/api/v1/deliveries/{}/retry",
                failed[0]["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_error(&r, 409);
    assert_error(
        &stack
            .api
            .post(
                &format!("/api/v1/apps/{}/deliveries/retry", f.app_id),
                &json!({"status": "nope"}),
            )
            .await,
        422,
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hanging_endpoint_does_not_hold_back_a_fast_one() {
    // The hanging tries must outlast the whole wait for the fast endpoint (60 s below) on a
    // loaded machine, or one times out and is recorded: a timeout beyond it, held by a gate.
    let stack = TestStack::spawn_with(|s| {
        s.delivery.timeout = Duration::from_secs(600);
        s.delivery.per_endpoint_concurrency = 4;
    })
    .await;
    let f = stack.fixture().await;
    stack
        .receiver
        .set("/hang", Behavior::Hold(hookd_testkit::Gate::default()));
    let hang = stack.endpoint(&f, "/hang", json!({})).await;
    stack.endpoint(&f, "/fast", json!({})).await;
    let n = 60;
    for i in 0..n {
        assert_eq!(
            stack
                .send(&f, json!({"event_type": "user.created", "data": {"i": i}}))
                .await
                .status,
            202
        );
    }
    // Every message reaches the fast endpoint while the hanging endpoint's first tries are
    // still hanging (none has timed out, so no attempt of it is recorded yet).
    let all = stack
        .receiver
        .wait_for(Duration::from_secs(60), |r| {
            r.iter().filter(|x| x.path == "/fast").count() >= n
        })
        .await;
    let hang_attempts = stack
        .api
        .get(&format!(
            "/api/v1/endpoints/{}/attempts",
            hang["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        all,
        "fast endpoint got {} of {n}",
        stack.receiver.received_at("/fast").len()
    );
    assert_eq!(
        hang_attempts.body["count"], 0,
        "the fast endpoint waited for the hanging one"
    );
    let hanging = stack.receiver.received_at("/hang").len();
    assert!(
        hanging <= 4,
        "the hanging endpoint had {hanging} tries in flight, above its cap of 4"
    );
    // Dropping the stack ends the hanging tries without waiting for their timeout.
    drop(stack);
}
