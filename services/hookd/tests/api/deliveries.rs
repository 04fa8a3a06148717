//! Deliveries and attempts: lists, filters and retries.

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::Behavior;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_and_attempts_list_filter_and_retry() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let f = stack.fixture().await;
    // /bad always fails (3 tries in the test schedule), /good succeeds at once.
    stack.receiver.set(
        "/bad",
        Behavior::Respond {
            status: 500,
            body: "boom".into(),
            headers: vec![],
        },
    );
    let bad = stack
        .endpoint(
            &f,
            "/bad",
            json!({"event_types": ["user.created", "user.deleted"]}),
        )
        .await;
    let good = stack
        .endpoint(&f, "/good", json!({"event_types": ["user.created"]}))
        .await;
    let m1 = id(&stack
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await
        .body);
    let m2 = id(&stack
        .send(&f, json!({"event_type": "user.deleted", "data": {"n": 2}}))
        .await
        .body);

    let bad_deliveries = format!("/api/v1/endpoints/{}/deliveries", id(&bad));
    let failed = stack
        .eventually(&bad_deliveries, Duration::from_secs(20), |b| {
            b["count"] == 2
                && b["models"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|d| d["status"] == "failed")
        })
        .await;
    for d in failed["models"].as_array().unwrap() {
        assert_eq!(d["attempt_count"], 3, "{d}");
        assert_eq!(d["endpoint_id"], bad["id"]);
        assert_eq!(d["next_attempt_at"], Value::Null, "{d}");
    }
    let good_deliveries = format!("/api/v1/endpoints/{}/deliveries", id(&good));
    stack
        .eventually(&good_deliveries, Duration::from_secs(15), |b| {
            b["models"][0]["status"] == "succeeded"
        })
        .await;
    // Filters: status, event_type, endpoint_id.
    let by_m1 = format!("/api/v1/messages/{m1}/deliveries");
    assert_eq!(ok(api.get(&by_m1).await)["count"], 2);
    let failed_m1 = ok(api.get(&format!("{by_m1}?status=failed")).await);
    assert_eq!(failed_m1["count"], 1);
    assert_eq!(failed_m1["models"][0]["endpoint_id"], bad["id"]);
    assert_eq!(
        ok(api.get(&format!("{by_m1}?status=succeeded")).await)["models"][0]["endpoint_id"],
        good["id"]
    );
    assert_eq!(
        ok(api.get(&format!("{by_m1}?status=pending")).await)["count"],
        0
    );
    assert_eq!(
        ok(api.get(&format!("{by_m1}?endpoint_id={}", id(&good))).await)["count"],
        1
    );
    let deleted = ok(api
        .get(&format!("{bad_deliveries}?event_type=user.deleted"))
        .await);
    assert_eq!(deleted["count"], 1);
    assert_eq!(deleted["models"][0]["message_id"], json!(m2));

    // Attempts: one per try, by delivery and by endpoint.
    let d1 = failed_m1["models"][0].clone();
    let attempts = ok(api
        .get(&format!("/api/v1/deliveries/{}/attempts", id(&d1)))
        .await);
    assert_eq!(attempts["count"], 3);
    for a in attempts["models"].as_array().unwrap() {
        assert_eq!(a["response_status"], 500, "{a}");
        assert_eq!(a["response_body"], "boom");
        assert_eq!(a["delivery_id"], d1["id"]);
        assert!(a["duration_ms"].as_i64().is_some_and(|d| d >= 0), "{a}");
        time(a, "created_at");
    }
    assert_eq!(
        ok(api
            .get(&format!("/api/v1/endpoints/{}/attempts", id(&bad)))
            .await)["count"],
        6
    );
    assert_eq!(
        ok(api
            .get(&format!(
                "/api/v1/endpoints/{}/attempts?delivery_id={}",
                id(&bad),
                id(&d1)
            ))
            .await)["count"],
        3
    );
    assert_eq!(
        ok(api
            .get(&format!(
                "/api/v1/endpoints/{}/attempts?message_id={m2}",
                id(&bad)
            ))
            .await)["count"],
        3
    );
    assert_eq!(
        ok(api
            .get(&format!("/api/v1/endpoints/{}/attempts", id(&good)))
            .await)["count"],
        1,
        "good only receives user.created"
    );
    // Numeric filters, with operators.
    let d1_attempts = format!("/api/v1/deliveries/{}/attempts", id(&d1));
    let count = |query: String| {
        let api = api.clone();
        async move { ok(api.get(&query).await)["count"].as_u64().unwrap() }
    };
    assert_eq!(
        count(format!("{d1_attempts}?response_status[gte]=500")).await,
        3
    );
    assert_eq!(
        count(format!("{d1_attempts}?response_status[lt]=500")).await,
        0
    );
    assert_eq!(count(format!("{d1_attempts}?response_status=500")).await, 3);
    assert_eq!(count(format!("{d1_attempts}?attempt[gt]=1")).await, 2);
    assert_eq!(
        count(format!("{d1_attempts}?attempt[lte]=1&duration_ms[gte]=0")).await,
        1
    );
    assert_eq!(
        count(format!("{bad_deliveries}?attempt_count[gte]=3")).await,
        2
    );
    assert_eq!(
        count(format!("{bad_deliveries}?attempt_count[lt]=3")).await,
        0
    );
    assert_eq!(count(format!("{good_deliveries}?attempt_count=1")).await, 1);
    assert_error(
        &api.get(&format!("{d1_attempts}?response_status[gte]=5xx"))
            .await,
        422,
    );
    assert_error(
        &api.get(&format!("{bad_deliveries}?attempt_count=1.5"))
            .await,
        422,
    );

    // Retry one: 202 with the delivery pending again, then it succeeds once /bad recovers.
    stack.receiver.set("/bad", Behavior::Status(200));
    let r = api
        .post(&format!("/api/v1/deliveries/{}/retry", id(&d1)), &json!({}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["id"], d1["id"]);
    assert_eq!(r.body["status"], "pending");
    stack
        .eventually(
            &format!("{by_m1}?status=succeeded"),
            Duration::from_secs(15),
            |b| b["count"] == 2,
        )
        .await;
    assert_eq!(
        ok(api
            .get(&format!("/api/v1/deliveries/{}/attempts", id(&d1)))
            .await)["count"],
        4
    );

    // Bulk retry with a filter: only the failed delivery of m2 matches.
    let bulk = format!("/api/v1/apps/{}/deliveries/retry", f.app_id);
    let r = api
        .post(
            &bulk,
            &json!({"status": "failed", "event_type": "user.created"}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body, json!({"count": 0}));
    let r = api
        .post(&bulk, &json!({"status": "failed", "endpoint_id": id(&bad), "created_at": {"gte": "2000-01-01T00:00:00Z", "lte": "2999-01-01T00:00:00Z"}}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body, json!({"count": 1}));
    stack
        .eventually(
            &format!("{bad_deliveries}?status=succeeded"),
            Duration::from_secs(15),
            |b| b["count"] == 2,
        )
        .await;
    assert_eq!(
        ok(api.get(&format!("{bad_deliveries}?status=failed")).await)["count"],
        0
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_a_delivery_while_a_try_is_in_flight_is_409() {
    let stack = TestStack::spawn_with(|s| s.delivery.timeout = Duration::from_secs(30)).await;
    let api = &stack.api;
    let f = stack.fixture().await;
    // The endpoint holds the first try for a while before answering 200.
    stack
        .receiver
        .set("/slow", Behavior::Delay(Duration::from_secs(4)));
    stack.endpoint(&f, "/slow", json!({})).await;
    let message = id(&stack
        .send(&f, json!({"event_type": "user.created", "data": {}}))
        .await
        .body);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |got| !got.is_empty())
            .await
    );
    let deliveries = ok(api
        .get(&format!("/api/v1/messages/{message}/deliveries"))
        .await);
    let delivery = id(&deliveries["models"][0]);
    let retry = format!("/api/v1/deliveries/{delivery}/retry");
    let r = api.raw("POST", &retry, None, &[]).await;
    assert_error(&r, 409);
    // Once the try is over, a retry is accepted and sends again.
    stack
        .eventually(
            &format!("/api/v1/messages/{message}/deliveries"),
            Duration::from_secs(20),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    stack.receiver.set("/slow", Behavior::Status(200));
    let r = api.raw("POST", &retry, None, &[]).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |got| got.len() >= 2)
            .await,
        "the retry was not sent"
    );
    stack
        .eventually(
            &format!("/api/v1/deliveries/{delivery}/attempts"),
            Duration::from_secs(15),
            |b| b["count"] == 2,
        )
        .await;
    stack.stop().await;
}
