//! A task's life: scheduled → running → completed | failed, or cancelled.

use crate::helpers::*;
use crate::support::*;
use chrono::{Duration as Span, Utc};
use hookd_testkit::{Behavior, Gate};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_without_a_time_runs_now_once_and_completes() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let endpoint = stack.endpoint(&f, "/now", json!({"version": "1.0"})).await;
    // A second endpoint of another version must not get it.
    stack.endpoint(&f, "/v2", json!({"version": "2.0"})).await;
    let task = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"email": "a@b.c", "n": 1}}),
    )
    .await;
    let id = id_of(&task);
    let done = task_until(&stack, id, |t| t["status"] == "completed").await;
    assert_eq!(done["endpoint_id"], endpoint["id"]);
    assert_eq!(done["data"], task["data"]);

    let got = stack.receiver.received_at("/now");
    assert_eq!(got.len(), 1, "delivered {} times", got.len());
    let body = got[0].json();
    assert_eq!(body["event_type"], "user.created");
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["data"], json!({"email": "a@b.c", "n": 1}));
    assert!(stack.receiver.received_at("/v2").is_empty());

    // One message, linked to the task, and the webhook carries its id.
    let db = stack.db().await;
    assert_eq!(messages_of(&db, id).await, 1);
    let row = db
        .query_one(
            "SELECT m.id, m.version,
                NOT EXISTS (SELECT 1 FROM message_outbox o WHERE o.id = m.id) FROM messages m
             JOIN tasks t ON t.message_id = m.id WHERE t.id = $1",
            &[&id],
        )
        .await
        .unwrap();
    let message_id: Uuid = row.get(0);
    assert_eq!(
        got[0].header("webhook-id"),
        Some(message_id.to_string().as_str())
    );
    assert_eq!(row.get::<_, String>(1), "1.0");
    assert!(row.get::<_, bool>(2), "the message is routed");
    let deliveries = stack
        .api
        .get(&format!("/api/v1/messages/{message_id}/deliveries"))
        .await;
    assert_eq!(deliveries.body["count"], 1, "{}", deliveries.text);
    assert_eq!(deliveries.body["models"][0]["status"], "succeeded");

    // A time in the past runs now too.
    let past = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"n": 2},
               "scheduled_run_time": "2020-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(past["scheduled_run_time"], "2020-01-01T00:00:00Z");
    task_until(&stack, id_of(&past), |t| t["status"] == "completed").await;
    assert_eq!(received_n(&stack, "/now", 2), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scheduled_task_runs_at_its_time_and_not_before() {
    // The try is held until the test has seen the task running: no timeout may end it first.
    let stack = TestStack::spawn_with(|s| s.delivery.timeout = Duration::from_secs(60)).await;
    let f = stack.fixture().await;
    let endpoint = stack
        .endpoint(&f, "/later", json!({"version": "1.0"}))
        .await;
    // The answer waits for the gate, which keeps the task running until it has been seen so.
    let gate = Gate::default();
    stack.receiver.set("/later", Behavior::Hold(gate.clone()));
    let at = Utc::now() + Span::milliseconds(1500);
    let due = Instant::now() + (at - Utc::now()).to_std().unwrap();
    let task = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"n": 7}, "scheduled_run_time": iso(at)}),
    )
    .await;
    let id = id_of(&task);
    assert_eq!(task["status"], Value::Null);

    // Until its time: waiting, nothing delivered.
    let mut polls = 0;
    while Instant::now() + Duration::from_millis(150) < due {
        let t = stack.api.get(&format!("/api/v1/tasks/{id}")).await;
        assert_eq!(t.body["status"], Value::Null, "ran early: {}", t.text);
        assert!(
            stack.receiver.received_at("/later").is_empty(),
            "delivered early"
        );
        polls += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(polls > 0, "the task was not observed before its time");

    let running = task_until(&stack, id, |t| t["status"] != Value::Null).await;
    assert_eq!(running["status"], "running", "{running}");
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |got| !got.is_empty())
            .await,
        "the running task's try never arrived"
    );
    let held = stack.api.get(&format!("/api/v1/tasks/{id}")).await;
    assert_eq!(
        held.body["status"], "running",
        "settled while its try is held: {}",
        held.text
    );
    gate.open();
    let running = task_until(&stack, id, |t| !t["endpoint_id"].is_null()).await;
    assert_eq!(running["endpoint_id"], endpoint["id"]);
    let done = task_until(&stack, id, |t| t["status"] == "completed").await;
    assert_eq!(done["endpoint_id"], endpoint["id"]);

    let got = stack.receiver.received_at("/later");
    assert_eq!(got.len(), 1);
    assert!(got[0].at >= due, "delivered before its scheduled time");
    assert_eq!(got[0].json()["data"], json!({"n": 7}));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_no_endpoint_takes_fails() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    // Subscribed to user.created only.
    stack
        .endpoint(&f, "/created", json!({"version": "1.0"}))
        .await;
    let task = create_task(
        &stack,
        &f,
        json!({"event_type": "user.deleted", "data": {"n": 1}}),
    )
    .await;
    let done = task_until(&stack, id_of(&task), |t| t["status"] == "failed").await;
    assert_eq!(done["endpoint_id"], Value::Null);
    let db = stack.db().await;
    let row = db
        .query_one(
            "SELECT NOT EXISTS (SELECT 1 FROM message_outbox o WHERE o.id = m.id),
                (SELECT count(*) FROM deliveries d WHERE d.message_id = m.id)
             FROM messages m WHERE m.task_id = $1",
            &[&id_of(&task)],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "its message was routed");
    assert_eq!(row.get::<_, i64>(1), 0);
    assert!(stack.receiver.received_at("/created").is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_whose_delivery_runs_out_of_tries_fails() {
    // Three tries (0s, 300ms, 300ms) in the test settings.
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let ok = stack.endpoint(&f, "/ok", json!({"version": "1.0"})).await;
    let down = stack.endpoint(&f, "/down", json!({"version": "1.0"})).await;
    stack.receiver.set("/down", Behavior::Status(500));
    let task = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"n": 1}}),
    )
    .await;
    let done = task_until(&stack, id_of(&task), |t| {
        t["status"] == "failed" || t["status"] == "completed"
    })
    .await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(stack.receiver.received_at("/down").len(), 3);
    assert_eq!(stack.receiver.received_at("/ok").len(), 1);
    // The first endpoint the router matched: one of the two.
    assert!(
        done["endpoint_id"] == ok["id"] || done["endpoint_id"] == down["id"],
        "{done}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancelled_task_never_runs() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/c", json!({"version": "1.0"})).await;
    let at = Utc::now() + Span::milliseconds(800);
    let doomed = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"n": 1}, "scheduled_run_time": iso(at)}),
    )
    .await;
    let r = stack
        .api
        .delete(&format!("/api/v1/tasks/{}", id_of(&doomed)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A later task on the same endpoint: once it has run, the scheduler has been past the
    // cancelled one's time.
    let sentinel = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"n": 2},
               "scheduled_run_time": iso(at + Span::milliseconds(200))}),
    )
    .await;
    task_until(&stack, id_of(&sentinel), |t| t["status"] == "completed").await;
    assert_eq!(
        received_n(&stack, "/c", 1),
        0,
        "the cancelled task was delivered"
    );
    assert_eq!(received_n(&stack, "/c", 2), 1);
    let t = stack
        .api
        .get(&format!("/api/v1/tasks/{}", id_of(&doomed)))
        .await;
    assert_eq!(t.body["status"], "cancelled");
    assert_eq!(t.body["endpoint_id"], Value::Null);
    assert_eq!(messages_of(&stack.db().await, id_of(&doomed)).await, 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_racing_the_run_has_one_clean_winner() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/race", json!({"version": "1.0"})).await;
    // Twelve tasks due at one instant; their cancels go out spread around it, so some land
    // before the scheduler's pass, some during it, some after.
    let at = Utc::now() + Span::milliseconds(1000);
    let due = Instant::now() + (at - Utc::now()).to_std().unwrap();
    let mut tasks = Vec::new();
    for n in 0..12 {
        let t = create_task(
            &stack,
            &f,
            json!({"event_type": "user.created", "data": {"n": n}, "scheduled_run_time": iso(at)}),
        )
        .await;
        tasks.push((n, id_of(&t)));
    }
    // The first is cancelled at once and the last only once it completed, so both outcomes
    // are exercised whatever the timing of the ten in between.
    let last = tasks.len() - 1;
    let cancels = tasks.iter().map(|&(n, id)| {
        let api = stack.api.clone();
        let stack = &stack;
        async move {
            if n as usize == last {
                task_until(stack, id, |t| t["status"] == "completed").await;
            } else if n > 0 {
                let when = due - Duration::from_millis(150) + Duration::from_millis(40 * n as u64);
                tokio::time::sleep_until(when.into()).await;
            }
            (n, id, api.delete(&format!("/api/v1/tasks/{id}")).await)
        }
    });
    let outcomes = futures_util::future::join_all(cancels).await;
    assert_eq!(outcomes[0].2.status, 200, "a cancel before the run wins");
    assert_eq!(outcomes[last].2.status, 409, "a cancel after the run loses");
    let db = stack.db().await;
    let mut ran = Vec::new();
    for (n, id, r) in &outcomes {
        match r.status {
            200 => assert_eq!(r.body["status"], "cancelled", "{}", r.text),
            409 => {
                assert_error(r, 409);
                ran.push((*n, *id));
            }
            other => panic!("cancel answered {other}: {}", r.text),
        }
    }
    eprintln!(
        "cancel race: {} cancelled, {} ran",
        outcomes.len() - ran.len(),
        ran.len()
    );
    // Those that ran complete, delivered once.
    for (n, id) in &ran {
        task_until(&stack, *id, |t| t["status"] == "completed").await;
        assert_eq!(received_n(&stack, "/race", *n), 1, "task {n}");
    }
    // Those cancelled never got a message, so nothing can ever deliver them.
    for (n, id, r) in &outcomes {
        if r.status == 200 {
            assert_eq!(
                messages_of(&db, *id).await,
                0,
                "cancelled task {n} has a message"
            );
            assert_eq!(
                received_n(&stack, "/race", *n),
                0,
                "cancelled task {n} was delivered"
            );
            let t = stack.api.get(&format!("/api/v1/tasks/{id}")).await;
            assert_eq!(t.body["status"], "cancelled");
        }
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_whose_endpoint_is_disabled_between_tries_fails() {
    // Room between the first try and the second to disable the endpoint.
    let stack = TestStack::spawn_with(|s| {
        s.delivery.retry_schedule = vec![Duration::ZERO, Duration::from_secs(6)];
    })
    .await;
    let f = stack.fixture().await;
    let endpoint = stack
        .endpoint(&f, "/flaky", json!({"version": "1.0"}))
        .await;
    stack.receiver.set("/flaky", Behavior::Status(503));
    let task = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"n": 1}}),
    )
    .await;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |got| !got.is_empty())
            .await,
        "the first try never came"
    );
    let r = stack
        .api
        .patch(
            &format!(
                "/api/v1/subscriptions/{}/endpoints/{}",
                f.subscription_id,
                endpoint["id"].as_str().unwrap()
            ),
            &json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The retry scheduler ends the delivery without a try; the task must not stay running.
    let done = task_until(&stack, id_of(&task), |t| t["status"] == "failed").await;
    assert_eq!(done["endpoint_id"], endpoint["id"]);
    assert_eq!(stack.receiver.received_at("/flaky").len(), 1);
    stack.stop().await;
}
