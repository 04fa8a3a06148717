use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

/// An endpoint's own rate limit paces its deliveries; none is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_endpoint_rate_limit_paces_deliveries() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let e = stack.endpoint(&f, "/paced", json!({"rate_limit": 2})).await;
    assert_eq!(e["rate_limit"], 2);
    for i in 0..6 {
        stack
            .send(&f, json!({"event_type": "user.created", "data": i}))
            .await;
    }
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r.len() >= 6)
            .await
    );
    let got = stack.receiver.received_at("/paced");
    let span = got.last().unwrap().at - got.first().unwrap().at;
    // Two a second after a burst of two: the sixth cannot come before two seconds have passed.
    assert!(
        span >= Duration::from_millis(1500),
        "six deliveries in {span:?} at 2/s"
    );
    // The limit is validated and can be removed.
    let path = format!(
        "/api/v1/subscriptions/{}/endpoints/{}",
        f.subscription_id,
        e["id"].as_str().unwrap()
    );
    assert_error(
        &stack.api.patch(&path, &json!({"rate_limit": 0})).await,
        422,
    );
    assert_error(
        &stack.api.patch(&path, &json!({"rate_limit": "fast"})).await,
        422,
    );
    let r = stack.api.patch(&path, &json!({"rate_limit": null})).await;
    assert_eq!(r.body["rate_limit"], json!(null), "{}", r.text);
    stack.stop().await;
}
