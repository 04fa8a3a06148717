//! Ordered delivery (issue 18, fifo): a fifo endpoint gets its messages in send order (per
//! `ordering_key` value) while its receiver fails now and then, a failing head blocks only its
//! lane, an unordered endpoint beside it is unaffected, and the API checks and shows it all.

use crate::helpers::*;
use hookd_testkit::{Behavior, Received};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// `data.seq` of each request `path` got, in arrival order, per `data.customer` (`""` for none).
pub fn arrivals(received: &[Received], path: &str) -> BTreeMap<String, Vec<i64>> {
    let mut lanes: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in received.iter().filter(|r| r.path == path) {
        let body = r.json();
        let key = body["data"]["customer"].as_str().unwrap_or("").to_owned();
        lanes
            .entry(key)
            .or_default()
            .push(body["data"]["seq"].as_i64().unwrap());
    }
    lanes
}

/// Every lane got `want` (its seqs in send order) in order: the arrivals never go back (a
/// retry repeats the last one) and each seq came at least once.
pub fn assert_in_order(got: &BTreeMap<String, Vec<i64>>, want: &BTreeMap<String, Vec<i64>>) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (key, seqs) in got {
        let mut firsts = seqs.clone();
        firsts.dedup();
        assert_eq!(
            &firsts, &want[key],
            "lane {key:?} arrived out of order or with a gap: {seqs:?}"
        );
    }
}

fn count_at(received: &[Received], path: &str) -> usize {
    received.iter().filter(|r| r.path == path).count()
}

/// Distinct `data.seq` values `path` got at least once.
fn distinct_at(received: &[Received], path: &str) -> usize {
    let mut seqs: Vec<i64> = received
        .iter()
        .filter(|r| r.path == path)
        .filter_map(|r| r.json()["data"]["seq"].as_i64())
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    seqs.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifo_endpoints_get_messages_in_send_order_through_failures() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    // One lane for the whole endpoint, and a lane per customer; both fail every 4th request.
    let one = stack
        .endpoint(&f, "/one", json!({"ordering": "fifo"}))
        .await;
    assert_eq!(one["ordering"], "fifo");
    assert_eq!(one["ordering_key"], Value::Null);
    let keyed = stack
        .endpoint(
            &f,
            "/keyed",
            json!({"ordering": "fifo", "ordering_key": "customer"}),
        )
        .await;
    assert_eq!(keyed["ordering_key"], "customer");
    stack.endpoint(&f, "/all", json!({})).await;
    for path in ["/one", "/keyed"] {
        stack.receiver.set(
            path,
            Behavior::FailEvery {
                every: 4,
                status: 500,
            },
        );
    }

    let n = 60;
    let mut want: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for seq in 0..n {
        // Three customers and some messages without one (the shared lane).
        let customer = ["c1", "c2", "c3", ""][seq as usize % 4];
        let data = if customer.is_empty() {
            json!({"seq": seq})
        } else {
            json!({"seq": seq, "customer": customer})
        };
        let r = stack
            .send(&f, json!({"event_type": "user.created", "data": data}))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        want.entry(customer.to_owned()).or_default().push(seq);
    }
    let delivered = |r: &[Received]| {
        distinct_at(r, "/one") == n as usize
            && distinct_at(r, "/keyed") == n as usize
            && count_at(r, "/all") >= n as usize
    };
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(60), delivered)
            .await,
        "not every message arrived: /one {:?}, /keyed {:?}",
        arrivals(&stack.receiver.received(), "/one"),
        arrivals(&stack.receiver.received(), "/keyed")
    );
    let received = stack.receiver.received();
    // The receiver failed some tries: the order held through retries.
    assert!(count_at(&received, "/one") > n as usize);
    let one_lane: Vec<i64> = received
        .iter()
        .filter(|r| r.path == "/one")
        .map(|r| r.json()["data"]["seq"].as_i64().unwrap())
        .collect();
    assert_in_order(
        &BTreeMap::from([(String::new(), one_lane)]),
        &BTreeMap::from([(String::new(), (0..n).collect())]),
    );
    assert_in_order(&arrivals(&received, "/keyed"), &want);
    // Every delivery settled: nothing left waiting in a lane.
    let ordering = stack
        .eventually(
            &format!(
                "/api/v1/endpoints/{}/ordering",
                keyed["id"].as_str().unwrap()
            ),
            Duration::from_secs(10),
            |b| b["lanes"].as_array().is_some_and(|l| l.is_empty()),
        )
        .await;
    assert_eq!(ordering["ordering"], "fifo");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_head_blocks_only_its_lane_and_the_api_shows_what_waits() {
    // The first try fails and the next is a minute away: the head stays pending.
    let stack = TestStack::spawn_with(|s| {
        s.delivery.retry_schedule = vec![Duration::ZERO, Duration::from_secs(60)];
    })
    .await;
    let f = stack.fixture().await;
    let keyed = stack
        .endpoint(
            &f,
            "/keyed",
            json!({"ordering": "fifo", "ordering_key": "customer"}),
        )
        .await;
    let other = stack
        .endpoint(&f, "/other", json!({"ordering": "fifo"}))
        .await;
    stack.endpoint(&f, "/all", json!({})).await;
    stack.receiver.set(
        "/keyed",
        Behavior::FailFirst {
            times: 1,
            status: 500,
        },
    );
    let send = |seq: i64, customer: &str| {
        stack.send(
            &f,
            json!({"event_type": "user.created", "data": {"seq": seq, "customer": customer}}),
        )
    };
    let head = send(0, "c1").await;
    assert_eq!(head.status, 202, "{}", head.text);
    let head = head.body;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(20), |r| count_at(r, "/keyed") >= 1)
            .await
    );
    for (seq, customer) in [(1, "c1"), (2, "c2"), (3, "c2"), (4, "c1")] {
        assert_eq!(send(seq, customer).await.status, 202);
    }
    // c2's lane, the other fifo endpoint and the unordered one all get on.
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(20), |r| {
                count_at(r, "/keyed") >= 3 && count_at(r, "/other") >= 5 && count_at(r, "/all") >= 5
            })
            .await,
        "{:?}",
        arrivals(&stack.receiver.received(), "/keyed")
    );
    let path = format!(
        "/api/v1/endpoints/{}/ordering",
        keyed["id"].as_str().unwrap()
    );
    let ordering = stack
        .eventually(&path, Duration::from_secs(10), |b| {
            b["lanes"].as_array().is_some_and(|l| l.len() == 1)
        })
        .await;
    let lane = &ordering["lanes"][0];
    assert_eq!(lane["key"], "\"c1\"");
    assert_eq!(lane["waiting"], 2);
    assert_eq!(lane["head_message_id"], head["id"]);
    assert_eq!(lane["head_status"], "pending");
    assert_eq!(lane["head_attempt_count"], 1);
    let got = arrivals(&stack.receiver.received(), "/keyed");
    assert_eq!(
        got["c1"],
        vec![0],
        "c1's later messages went past its failing head"
    );
    assert_eq!(got["c2"], vec![2, 3]);

    // A retry of the head (it succeeds now) lets the rest of c1 go, in order.
    let delivery = ordering["lanes"][0]["head_delivery_id"].as_str().unwrap();
    let r = stack
        .api
        .post(&format!("/api/v1/deliveries/{delivery}/retry"), &json!({}))
        .await;
    assert!(r.status < 300, "{}", r.text);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(20), |r| count_at(r, "/keyed") >= 6)
            .await
    );
    let got = arrivals(&stack.receiver.received(), "/keyed");
    assert_eq!(got["c1"], vec![0, 0, 1, 4]);
    assert_eq!(other["ordering"], "fifo");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ordering_is_checked_and_changes_nothing_when_refused() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let endpoints = format!("/api/v1/subscriptions/{}/endpoints", f.subscription_id);
    let url = stack.receiver.url("/x");
    let before = stack.row_counts().await;
    for (body, field) in [
        (json!({"ordering": "lifo"}), "ordering"),
        (
            json!({"ordering": "fifo", "ordering_key": "a..b"}),
            "ordering_key",
        ),
        (
            json!({"ordering": "fifo", "ordering_key": ""}),
            "ordering_key",
        ),
        (json!({"ordering_key": "customer.id"}), "ordering_key"),
        (
            json!({"ordering": "none", "ordering_key": "customer.id"}),
            "ordering_key",
        ),
    ] {
        let mut body = body;
        body["url"] = json!(url);
        body["event_types"] = json!(["user.created"]);
        let r = stack.api.post(&endpoints, &body).await;
        assert_error(&r, 422);
        assert!(r.text.contains(field), "{field}: {}", r.text);
    }
    stack
        .assert_rows_unchanged(&before, &[], "refused endpoint creates")
        .await;

    let e = stack.endpoint(&f, "/x", json!({})).await;
    assert_eq!(e["ordering"], "none");
    let path = format!("{endpoints}/{}", e["id"].as_str().unwrap());
    let r = stack
        .api
        .patch(
            &path,
            &json!({"ordering": "fifo", "ordering_key": "customer.id"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["ordering"], "fifo");
    assert_eq!(r.body["ordering_key"], "customer.id");
    let r = stack.api.patch(&path, &json!({"ordering_key": "x."})).await;
    assert_error(&r, 422);
    let r = stack.api.get(&path).await;
    assert_eq!(r.body["ordering_key"], "customer.id");
    let r = stack
        .api
        .patch(&path, &json!({"ordering": "none", "ordering_key": null}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["ordering"], "none");
    assert_eq!(r.body["ordering_key"], Value::Null);
    let r = stack
        .api
        .get(&format!(
            "/api/v1/endpoints/{}/ordering",
            e["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["ordering"], "none");
    assert_eq!(r.body["lanes"], json!([]));
    stack.stop().await;
}
