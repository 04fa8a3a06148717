//! Sending messages (by event type, alias, direct to an endpoint), listing and getting them,
//! with the list filters.

use crate::helpers::*;
use crate::support::*;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_send_alias_direct_list_get_and_filters() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let f = stack.fixture().await;
    let a = stack
        .endpoint(
            &f,
            "/a",
            json!({"event_types": ["user.created", "user.deleted"]}),
        )
        .await;
    let b = stack
        .endpoint(&f, "/b", json!({"event_types": ["user.created"]}))
        .await;
    let base = format!("/api/v1/apps/{}/messages", f.app_id);

    let m1 = api
        .post(&base, &json!({"event_type": "user.created", "data": {"id": 1}, "event_id": "evt-1", "version": "1.0"}))
        .await;
    assert_eq!(m1.status, 202, "{}", m1.text);
    let m1 = m1.body;
    assert_eq!(
        m1.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "created_at",
            "data",
            "event_id",
            "event_type",
            "id",
            "version"
        ]
    );
    // The alias sends the same way; version defaults to 1.0.
    let m2 = api
        .post(
            &format!("/api/v1/app/{}/messages", f.app_id),
            &json!({"event_type": "user.deleted", "data": [1, 2]}),
        )
        .await;
    assert_eq!(m2.status, 202, "{}", m2.text);
    let m2 = m2.body;
    assert_eq!(m2["version"], "1.0");
    assert_eq!(m2["event_id"], Value::Null);
    // Direct send: to that endpoint only.
    let direct = api
        .post(
            &format!(
                "/api/v1/subscriptions/{}/endpoints/{}/messages",
                f.subscription_id,
                id(&b)
            ),
            &json!({"event_type": "user.created", "data": "only b"}),
        )
        .await;
    assert_eq!(direct.status, 202, "{}", direct.text);
    let m3 = direct.body;
    // Idempotency: the same event_id answers 200 with the first message.
    let again = api
        .post(
            &base,
            &json!({"event_type": "user.created", "data": {"id": 999}, "event_id": "evt-1"}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body, m1);

    assert_eq!(
        ok(api.get(&format!("/api/v1/messages/{}", id(&m1))).await),
        m1
    );
    let listed = ok(api.get(&base).await);
    assert_eq!(ids(&listed), vec![id(&m3), id(&m2), id(&m1)]);
    assert_eq!(listed["models"][2], m1);
    assert_eq!(
        ids(&ok(api
            .get(&format!("{base}?event_type=user.deleted"))
            .await)),
        vec![id(&m2)]
    );
    assert_eq!(
        ids(&ok(api.get(&format!("{base}?event_id=evt-1")).await)),
        vec![id(&m1)]
    );
    let since = m2["created_at"].as_str().unwrap();
    assert_eq!(
        ids(&ok(api
            .get(&format!("{base}?created_at[gte]={since}"))
            .await)),
        vec![id(&m3), id(&m2)]
    );
    assert_eq!(
        ids(&ok(api
            .get(&format!("{base}?created_at[gt]={since}"))
            .await)),
        vec![id(&m3)]
    );
    assert_eq!(
        ids(&ok(api
            .get(&format!("{base}?created_at[lte]={since}&dir=asc"))
            .await)),
        vec![id(&m1), id(&m2)]
    );
    assert_eq!(
        ids(&ok(api
            .get(&format!("{base}?created_at[lt]={since}"))
            .await)),
        vec![id(&m1)]
    );
    assert_eq!(
        ok(api
            .get(&format!("{base}?created_at[gte]=2999-01-01T00:00:00Z"))
            .await)["count"],
        0
    );
    assert_eq!(
        ids(&ok(api
            .get(&format!(
                "{base}?event_type=user.created&created_at[gte]={since}"
            ))
            .await)),
        vec![id(&m3)]
    );

    // Deliveries: m1 to a and b, m2 to a, m3 to b only; nothing more.
    let delivered = |path: &'static str, n: usize| {
        let r = stack.receiver.clone();
        async move {
            assert!(
                r.wait_for(Duration::from_secs(15), |got| got
                    .iter()
                    .filter(|g| g.path == path)
                    .count()
                    >= n)
                    .await
            );
        }
    };
    delivered("/a", 2).await;
    delivered("/b", 2).await;
    for (m, n) in [(&m1, 2), (&m2, 1), (&m3, 1)] {
        let ds = stack
            .eventually(
                &format!("/api/v1/messages/{}/deliveries", id(m)),
                Duration::from_secs(15),
                |b| {
                    b["count"] == n
                        && b["models"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .all(|d| d["status"] == "succeeded")
                },
            )
            .await;
        assert_eq!(ds["count"], n);
    }
    let to_b = ok(api
        .get(&format!("/api/v1/endpoints/{}/deliveries", id(&b)))
        .await);
    let mut got: Vec<&str> = to_b["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message_id"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want = vec![m1["id"].as_str().unwrap(), m3["id"].as_str().unwrap()];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(stack.receiver.received_at("/a").len(), 2);
    assert_eq!(
        ok(api
            .get(&format!("/api/v1/endpoints/{}/deliveries", id(&a)))
            .await)["count"],
        2
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_send_reaches_that_endpoint_only_whatever_its_event_types() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let a = stack.endpoint(&f, "/a", json!({})).await;
    stack.endpoint(&f, "/b", json!({})).await;
    // Both endpoints receive user.created only; the direct send is a user.deleted.
    let r = stack
        .api
        .post(
            &format!(
                "/api/v1/subscriptions/{}/endpoints/{}/messages",
                f.subscription_id,
                id(&a)
            ),
            &json!({"event_type": "user.deleted", "data": {"n": 1}}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let message = id(&r.body);
    // Deliveries are recorded when the message is routed, all at once.
    let deliveries = stack
        .eventually(
            &format!("/api/v1/messages/{message}/deliveries"),
            Duration::from_secs(15),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    assert_eq!(deliveries["count"], 1, "{deliveries}");
    assert_eq!(deliveries["models"][0]["endpoint_id"], a["id"]);
    assert_eq!(stack.receiver.received_at("/a").len(), 1);
    assert!(stack.receiver.received_at("/b").is_empty());
    stack.stop().await;
}
