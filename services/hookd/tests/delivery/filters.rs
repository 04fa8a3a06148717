//! Endpoint payload filters (issue 18): an endpoint with a filter gets only the messages whose
//! `{event_type, version, data}` match it, a filter that does not parse is a 422 that changes
//! nothing, and a changed filter takes effect in the router.

use crate::helpers::*;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

fn endpoint_path(f: &Fixture, id: &Value) -> String {
    format!(
        "/api/v1/subscriptions/{}/endpoints/{}",
        f.subscription_id,
        id.as_str().unwrap()
    )
}

/// The `data.n` of what `path` received, sorted.
fn received_ns(stack: &TestStack, path: &str) -> Vec<i64> {
    let mut ns: Vec<i64> = stack
        .receiver
        .received_at(path)
        .iter()
        .map(|r| r.json()["data"]["n"].as_i64().unwrap())
        .collect();
    ns.sort_unstable();
    ns
}

/// The number of deliveries recorded for an endpoint.
async fn delivery_count(stack: &TestStack, id: &Value) -> i64 {
    let r = stack
        .api
        .get(&format!(
            "/api/v1/endpoints/{}/deliveries?limit=250",
            id.as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["models"].as_array().unwrap().len() as i64
}

/// How many of `received` went to `path` (inside `wait_for`, which holds the receiver's lock).
fn at(received: &[hookd_testkit::Received], path: &str) -> usize {
    received.iter().filter(|r| r.path == path).count()
}

/// Sends `data` messages of `event_type`, then waits until the unfiltered endpoint at `/all`
/// received all of them: the router records a message's deliveries to every endpoint in one
/// statement, so from then on the filtered endpoints' deliveries are all recorded too.
async fn send_all(stack: &TestStack, f: &Fixture, messages: &[(&str, Value)]) {
    let before = stack.receiver.received_at("/all").len();
    for (event_type, data) in messages {
        let r = stack
            .send(f, json!({"event_type": event_type, "data": data}))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    let want = before + messages.len();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(20), |r| at(r, "/all") >= want)
            .await,
        "the unfiltered endpoint did not get every message"
    );
}

/// Waits until `path` received `n` webhooks, then returns their `data.n`.
async fn wait_received(stack: &TestStack, path: &str, n: usize) -> Vec<i64> {
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(20), |r| at(r, path) >= n)
            .await,
        "{path} did not receive {n}: {:?}",
        received_ns(stack, path)
    );
    received_ns(stack, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_endpoint_with_a_filter_gets_only_matching_messages() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let both = json!(["user.created", "user.deleted"]);
    stack
        .endpoint(&f, "/all", json!({"event_types": both}))
        .await;
    let big = stack
        .endpoint(
            &f,
            "/big",
            json!({"event_types": both, "filter": {"data": {"amount": {"$gte": 100}}}}),
        )
        .await;
    assert_eq!(big["filter"], json!({"data": {"amount": {"$gte": 100}}}));
    // Event type, version and data together, with logic operators.
    let eu_deleted = stack
        .endpoint(
            &f,
            "/eu-deleted",
            json!({"event_types": both, "filter": {
                "event_type": "user.deleted",
                "version": "1.0",
                "$or": [{"data": {"region": {"$in": ["eu", "uk"]}}},
                        {"data": {"tags": "vip"}}]
            }}),
        )
        .await;

    let messages = [
        (
            "user.created",
            json!({"n": 1, "amount": 50, "region": "eu"}),
        ),
        (
            "user.created",
            json!({"n": 2, "amount": 150, "region": "us"}),
        ),
        (
            "user.deleted",
            json!({"n": 3, "amount": 100, "region": "uk"}),
        ),
        (
            "user.deleted",
            json!({"n": 4, "amount": "x", "region": "us"}),
        ),
        (
            "user.deleted",
            json!({"n": 5, "region": "us", "tags": ["a", "vip"]}),
        ),
        ("user.created", json!({"n": 6, "tags": ["vip"]})),
        ("user.deleted", json!({"n": 7, "amount": "250"})),
    ];
    send_all(&stack, &f, &messages).await;

    assert_eq!(delivery_count(&stack, &big["id"]).await, 3);
    assert_eq!(wait_received(&stack, "/big", 3).await, vec![2, 3, 7]);
    assert_eq!(delivery_count(&stack, &eu_deleted["id"]).await, 2);
    assert_eq!(wait_received(&stack, "/eu-deleted", 2).await, vec![3, 5]);
    assert_eq!(
        wait_received(&stack, "/all", 7).await,
        (1..=7).collect::<Vec<_>>()
    );

    let got = stack.api.get(&endpoint_path(&f, &big["id"])).await;
    assert_eq!(
        got.body["filter"],
        json!({"data": {"amount": {"$gte": 100}}})
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_that_does_not_parse_is_a_422_naming_it_and_changes_nothing() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let kept = stack
        .endpoint(&f, "/kept", json!({"filter": {"data": {"n": 1}}}))
        .await;
    let before = stack.row_counts().await;
    let create = format!("/api/v1/subscriptions/{}/endpoints", f.subscription_id);
    let cases = [
        (
            json!({"data": {"amount": {"$gte": true}}}),
            "filter.data.amount.$gte",
        ),
        (json!({"data": {"$what": 1}}), "filter.data.$what"),
        (json!({"amount": 1}), "filter.amount"),
        (json!({"$or": [{"datta": 1}]}), "filter.$or.0.datta"),
        (json!({"data": {"$or": []}}), "filter.data.$or"),
        (json!([1, 2]), "filter"),
        (json!("data"), "filter"),
    ];
    for (filter, place) in &cases {
        let body = json!({"url": stack.receiver.url("/x"), "event_types": ["user.created"],
                          "filter": filter});
        let r = stack.api.post(&create, &body).await;
        assert_error(&r, 422);
        let message = r.body["message"].as_str().unwrap();
        assert!(message.starts_with(place), "{filter}: {message}");
        assert_eq!(r.body["data"]["field"], "filter", "{}", r.text);

        let r = stack
            .api
            .patch(&endpoint_path(&f, &kept["id"]), &json!({"filter": filter}))
            .await;
        assert_error(&r, 422);
    }
    stack
        .assert_rows_unchanged(&before, &[], "refused filters")
        .await;
    let got = stack.api.get(&endpoint_path(&f, &kept["id"])).await;
    assert_eq!(
        got.body["filter"],
        json!({"data": {"n": 1}}),
        "{}",
        got.text
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_changed_filter_takes_effect_in_the_router() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/all", json!({})).await;
    let e = stack
        .endpoint(&f, "/f", json!({"filter": {"data": {"n": 1}}}))
        .await;
    let id: Uuid = e["id"].as_str().unwrap().parse().unwrap();
    let filter_of = |v: &hookd_router::view::Snapshot| v.endpoint(id).map(|r| r.filter.clone());
    let one_and_two = [
        ("user.created", json!({"n": 1})),
        ("user.created", json!({"n": 2})),
    ];

    send_all(&stack, &f, &one_and_two).await;
    assert_eq!(delivery_count(&stack, &e["id"]).await, 1);

    // Only n = 2 from now on: the router reloads the changed row.
    let r = stack
        .api
        .patch(
            &endpoint_path(&f, &e["id"]),
            &json!({"filter": {"data": {"n": 2}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["filter"], json!({"data": {"n": 2}}));
    let two = hookd_filter::MessageFilter::parse(&json!({"data": {"n": 2}})).unwrap();
    stack
        .wait_view(|v| filter_of(v).flatten().is_some_and(|f| *f == two))
        .await;
    send_all(&stack, &f, &one_and_two).await;
    assert_eq!(delivery_count(&stack, &e["id"]).await, 2);
    assert_eq!(wait_received(&stack, "/f", 2).await, vec![1, 2]);

    // A PATCH without `filter` keeps it; `null` removes it.
    let r = stack
        .api
        .patch(
            &endpoint_path(&f, &e["id"]),
            &json!({"description": "kept"}),
        )
        .await;
    assert_eq!(r.body["filter"], json!({"data": {"n": 2}}), "{}", r.text);
    let r = stack
        .api
        .patch(&endpoint_path(&f, &e["id"]), &json!({"filter": null}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["filter"], Value::Null);
    stack.wait_view(|v| filter_of(v) == Some(None)).await;
    send_all(&stack, &f, &[("user.created", json!({"n": 3}))]).await;
    assert_eq!(delivery_count(&stack, &e["id"]).await, 3);
    assert_eq!(wait_received(&stack, "/f", 3).await, vec![1, 2, 3]);
    stack.stop().await;
}
