//! Operational webhooks (issue 17): each transition (circuit opened, recovered, disabled by
//! failures or by a 410, enabled again, a delivery's tries used up, a task failed) is stored
//! once, in the transaction of the change, and reaches the organization's operational URL
//! signed by its secret, in Svix's shape; nothing is told where none is configured, nothing
//! crosses organizations, and the operational endpoint's own failures tell nobody.

use crate::helpers::*;
use crate::operational_support::*;
use hookd_testkit::Behavior;
use serde_json::json;
use std::time::Duration;

fn endpoint_path(f: &Fixture, e: &serde_json::Value) -> String {
    format!(
        "/api/v1/subscriptions/{}/endpoints/{}",
        f.subscription_id,
        e["id"].as_str().unwrap()
    )
}

/// The circuit opens once (however often a failed probe opens it again), the delivery's tries
/// run out, then a success closes the circuit: one `endpoint.failing`, one
/// `delivery.exhausted`, one `endpoint.recovered`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn circuit_opened_exhausted_and_recovered_are_told_once() {
    let stack = TestStack::spawn_with(|s| {
        s.delivery.circuit_failures = 2;
        s.delivery.circuit_cooldown = Duration::from_millis(300);
        s.delivery.retry_schedule = vec![
            Duration::ZERO,
            Duration::from_millis(100),
            Duration::from_millis(100),
            Duration::from_millis(100),
        ];
        s.delivery.per_endpoint_concurrency = 1;
    })
    .await;
    let f = stack.fixture().await;
    let org = org_of(&stack, &f.app_id).await;
    let secret = set_operational(&stack, &stack.api, "/ops", None).await;
    stack.receiver.set("/flaky", Behavior::Status(500));
    let e = stack.endpoint(&f, "/flaky", json!({})).await;
    let endpoint_id = e["id"].as_str().unwrap();

    let m1 = stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await;
    let m1 = m1.body["id"].as_str().unwrap().to_owned();
    stack
        .eventually(
            &format!("/api/v1/messages/{m1}/deliveries"),
            Duration::from_secs(30),
            |b| b["models"][0]["status"] == "failed",
        )
        .await;
    stack.receiver.set("/flaky", Behavior::Status(200));
    let m2 = stack
        .send(&f, json!({"event_type": "user.created", "data": 2}))
        .await;
    let m2 = m2.body["id"].as_str().unwrap().to_owned();
    stack
        .eventually(
            &format!("/api/v1/messages/{m2}/deliveries"),
            Duration::from_secs(30),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;

    // Each transition was stored once, in the transaction that made it.
    let counts = emitted(&stack, org).await;
    assert_eq!(counts.get("endpoint.failing"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("delivery.exhausted"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("endpoint.recovered"), Some(&1), "{counts:?}");
    assert_eq!(counts.len(), 3, "nothing else happened: {counts:?}");

    // And each reached the operational URL, signed, about that endpoint.
    let got = wait_told(
        &stack,
        "/ops",
        &secret,
        &[
            ("endpoint.failing", 1),
            ("delivery.exhausted", 1),
            ("endpoint.recovered", 1),
        ],
    )
    .await;
    assert_eq!(got.len(), 3, "one webhook per transition");
    for t in &got {
        assert_eq!(t.body["data"]["endpoint_id"], endpoint_id, "{}", t.body);
        assert_eq!(t.body["data"]["app_id"], f.app_id.as_str(), "{}", t.body);
    }
    let exhausted = &of(&got, "delivery.exhausted")[0].body["data"];
    assert_eq!(exhausted["message_id"], m1.as_str());
    assert_eq!(exhausted["attempt_count"], 4);
    assert_eq!(exhausted["reason"], "HTTP 500");
    assert!(of(&got, "endpoint.failing")[0].body["data"]["failing_since"].is_string());
    // Its deliveries are listed like any endpoint's.
    let hook = stack.api.get("/api/v1/operational_webhook").await;
    let ops_endpoint = hook.body["endpoint_id"].as_str().unwrap();
    stack
        .eventually(
            &format!("/api/v1/endpoints/{ops_endpoint}/deliveries"),
            Duration::from_secs(10),
            |b| b["models"].as_array().is_some_and(|m| m.len() == 3),
        )
        .await;
    stack.stop().await;
}

/// Sustained failure disables an endpoint, a 410 another, one is enabled again by hand, and a
/// task fails: each told once, and only the event types subscribed to.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disabled_enabled_again_and_task_failed_are_told_once() {
    let stack = TestStack::spawn_with(|s| {
        s.delivery.circuit_failures = 2;
        s.delivery.circuit_cooldown = Duration::from_millis(200);
        s.delivery.disable_after = Duration::from_millis(300);
        s.delivery.retry_schedule = std::iter::once(Duration::ZERO)
            .chain(std::iter::repeat_n(Duration::from_millis(100), 30))
            .collect();
    })
    .await;
    let f = stack.fixture().await;
    let org = org_of(&stack, &f.app_id).await;
    // Not `delivery.exhausted`: the 410's delivery runs out of tries, and is not told.
    let types = [
        "endpoint.disabled",
        "endpoint.failing",
        "endpoint.recovered",
        "task.failed",
    ];
    let secret = set_operational(&stack, &stack.api, "/ops", Some(&types)).await;
    stack.receiver.set("/dead", Behavior::Status(500));
    stack.receiver.set("/gone", Behavior::Status(410));
    let dead = stack.endpoint(&f, "/dead", json!({})).await;
    let gone = stack.endpoint(&f, "/gone", json!({})).await;
    stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await;
    for e in [&dead, &gone] {
        stack
            .eventually(&endpoint_path(&f, e), Duration::from_secs(30), |b| {
                b["status"] == "disabled"
            })
            .await;
    }
    // Enabled again by hand: recovered.
    let r = stack
        .api
        .patch(&endpoint_path(&f, &gone), &json!({"status": "enabled"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A task no endpoint takes fails.
    let task = created(
        stack
            .api
            .post(
                &format!("/api/v1/apps/{}/tasks", f.app_id),
                &json!({"event_type": "user.deleted", "data": {"n": 1}}),
            )
            .await,
    );
    let task_id = task["id"].as_str().unwrap();
    stack
        .eventually(
            &format!("/api/v1/tasks/{task_id}"),
            Duration::from_secs(20),
            |b| b["status"] == "failed",
        )
        .await;

    let counts = emitted(&stack, org).await;
    assert_eq!(counts.get("endpoint.disabled"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("endpoint.failing"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("endpoint.recovered"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("task.failed"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("delivery.exhausted"), None, "not subscribed");

    let got = wait_told(
        &stack,
        "/ops",
        &secret,
        &[
            ("endpoint.disabled", 2),
            ("endpoint.failing", 1),
            ("endpoint.recovered", 1),
            ("task.failed", 1),
        ],
    )
    .await;
    assert_eq!(got.len(), 5, "one webhook per transition");
    let disabled = of(&got, "endpoint.disabled");
    let reason_of = |e: &serde_json::Value| {
        disabled
            .iter()
            .find(|t| t.body["data"]["endpoint_id"] == e["id"])
            .map(|t| t.body["data"]["reason"].as_str().unwrap().to_owned())
            .expect("a disabled webhook per endpoint")
    };
    assert!(reason_of(&dead).starts_with("every try failed since "));
    for t in &disabled {
        assert_eq!(t.body["data"]["trigger"], "automatic", "{}", t.body);
    }
    assert_eq!(reason_of(&gone), "the endpoint answered 410 Gone");
    assert_eq!(
        of(&got, "endpoint.failing")[0].body["data"]["endpoint_id"],
        dead["id"]
    );
    let recovered = &of(&got, "endpoint.recovered")[0].body["data"];
    assert_eq!(recovered["endpoint_id"], gone["id"]);
    assert_eq!(recovered["reason"], "enabled again");
    let failed = &of(&got, "task.failed")[0].body["data"];
    assert_eq!(failed["task_id"], task_id);
    assert_eq!(failed["reason"], "no endpoint matched");
    stack.stop().await;
}
