//! Operational webhooks, the transitions Svix users expect (issue 17): a disable by hand is
//! told like hookd's own (`data.trigger` "manual" or "automatic") and an enable as
//! `endpoint.enabled`; a circuit closed by a delivery process that never saw it open is still
//! `endpoint.recovered`; each once per transition. The relay is held off for an hour in these
//! stacks: every webhook here went out on its trigger's NOTIFY.

use crate::helpers::*;
use crate::operational_support::*;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// A stack whose router relays nothing within a test: operational events reach the receiver
/// only when published at once.
async fn stack_without_relay() -> TestStack {
    TestStack::spawn_with(|s| s.router.relay_after = Duration::from_secs(3600)).await
}

fn endpoint_path(f: &Fixture, e: &serde_json::Value) -> String {
    format!(
        "/api/v1/subscriptions/{}/endpoints/{}",
        f.subscription_id,
        e["id"].as_str().unwrap()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_disable_and_an_enable_by_hand_are_told_once_each() {
    let stack = stack_without_relay().await;
    let f = stack.fixture().await;
    let org = org_of(&stack, &f.app_id).await;
    let secret = set_operational(&stack, &stack.api, "/ops", None).await;
    let e = stack.endpoint(&f, "/ok", json!({})).await;
    let path = endpoint_path(&f, &e);

    // Disabled by hand, twice: one transition.
    for _ in 0..2 {
        let r = stack.api.patch(&path, &json!({"status": "disabled"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let got = wait_told(&stack, "/ops", &secret, &[("endpoint.disabled", 1)]).await;
    let disabled = &of(&got, "endpoint.disabled")[0].body["data"];
    assert_eq!(disabled["endpoint_id"], e["id"], "{disabled}");
    assert_eq!(disabled["trigger"], "manual", "{disabled}");
    assert_eq!(disabled["reason"], "disabled by hand", "{disabled}");

    // Enabled again, twice: one `endpoint.enabled`; not `recovered` (hookd never disabled it).
    for _ in 0..2 {
        let r = stack.api.patch(&path, &json!({"status": "enabled"})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let got = wait_told(
        &stack,
        "/ops",
        &secret,
        &[("endpoint.disabled", 1), ("endpoint.enabled", 1)],
    )
    .await;
    let enabled = &of(&got, "endpoint.enabled")[0].body["data"];
    assert_eq!(enabled["endpoint_id"], e["id"], "{enabled}");
    assert_eq!(enabled["trigger"], "manual", "{enabled}");

    let counts = emitted(&stack, org).await;
    assert_eq!(counts.get("endpoint.disabled"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("endpoint.enabled"), Some(&1), "{counts:?}");
    assert_eq!(counts.len(), 2, "nothing else happened: {counts:?}");
    assert_eq!(got.len(), 2, "one webhook per transition");
    stack.stop().await;
}

/// The delivery process that opened the circuit is gone (its row says open since then); this
/// one never saw a failure, and its success closes the circuit of the row: one
/// `endpoint.recovered`, and the run of failures ends with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_circuit_closed_by_another_delivery_process_is_recovered_once() {
    let stack = stack_without_relay().await;
    let f = stack.fixture().await;
    let org = org_of(&stack, &f.app_id).await;
    let secret = set_operational(&stack, &stack.api, "/ops", None).await;
    let e = stack.endpoint(&f, "/ok", json!({})).await;
    let endpoint: Uuid = e["id"].as_str().unwrap().parse().unwrap();
    // What the replica that opened it left behind.
    let db = stack.db().await;
    db.execute(
        "UPDATE endpoints SET failing_since = now(), circuit_opened_at = now() WHERE id = $1",
        &[&endpoint],
    )
    .await
    .unwrap();

    for n in 0..2 {
        let m = stack
            .send(&f, json!({"event_type": "user.created", "data": {"n": n}}))
            .await;
        let m = m.body["id"].as_str().unwrap().to_owned();
        stack
            .eventually(
                &format!("/api/v1/messages/{m}/deliveries"),
                Duration::from_secs(30),
                |b| b["models"][0]["status"] == "succeeded",
            )
            .await;
    }
    let got = wait_told(
        &stack,
        "/ops",
        &secret,
        &[("endpoint.failing", 1), ("endpoint.recovered", 1)],
    )
    .await;
    let recovered = &of(&got, "endpoint.recovered")[0].body["data"];
    assert_eq!(recovered["endpoint_id"], e["id"], "{recovered}");
    assert_eq!(recovered["reason"], "a try succeeded", "{recovered}");

    let row = db
        .query_one(
            "SELECT failing_since IS NULL, circuit_opened_at IS NULL FROM endpoints WHERE id = $1",
            &[&endpoint],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "the run of failures ended");
    assert!(row.get::<_, bool>(1), "the circuit of the row closed");
    let counts = emitted(&stack, org).await;
    assert_eq!(counts.get("endpoint.failing"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("endpoint.recovered"), Some(&1), "{counts:?}");
    assert_eq!(counts.len(), 2, "nothing else happened: {counts:?}");
    assert_eq!(got.len(), 2, "one webhook per transition");
    stack.stop().await;
}
