use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

fn deliveries_path(id: &serde_json::Value) -> String {
    format!("/api/v1/messages/{}/deliveries", id.as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fans_out_by_event_type_version_and_status() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/v1", json!({"version": "1.0"})).await;
    stack.endpoint(&f, "/v2", json!({"version": "2.0"})).await;
    stack
        .endpoint(
            &f,
            "/deleted",
            json!({"version": "1.0", "event_types": ["user.deleted"]}),
        )
        .await;
    stack
        .endpoint(
            &f,
            "/disabled",
            json!({"version": "1.0", "status": "disabled"}),
        )
        .await;
    stack
        .endpoint(
            &f,
            "/both",
            json!({"event_types": ["user.created", "user.deleted"]}),
        )
        .await;

    let m1 = stack
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await;
    assert_eq!(m1.status, 202);
    let m2 = stack
        .send(
            &f,
            json!({"event_type": "user.created", "version": "2.0", "data": {"n": 2}}),
        )
        .await;
    assert_eq!(m2.status, 202);
    let m3 = stack
        .send(&f, json!({"event_type": "user.deleted", "data": {"n": 3}}))
        .await;
    assert_eq!(m3.status, 202);

    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |r| r.len() >= 4)
            .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at = |p: &str| {
        stack
            .receiver
            .received_at(p)
            .iter()
            .map(|r| r.json()["data"]["n"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(at("/v1"), vec![json!(1)]);
    assert_eq!(at("/v2"), vec![json!(2)]);
    assert_eq!(at("/deleted"), vec![json!(3)]);
    assert!(at("/disabled").is_empty());
    let mut both = at("/both");
    both.sort_by_key(|v| v.as_i64());
    assert_eq!(both, vec![json!(1), json!(3)]);
    let d = stack.api.get(&deliveries_path(&m1.body["id"])).await;
    assert_eq!(d.body["count"], 2, "{}", d.text);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_without_endpoints_is_stored_with_no_deliveries() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let r = stack
        .send(&f, json!({"event_type": "nobody.listens", "data": null}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["id"].as_str().unwrap();
    // Routed (no longer in the outbox) with nothing to deliver.
    let client = stack.db().await;
    let mut routed = false;
    for _ in 0..100 {
        let row = client
            .query_one(
                "SELECT NOT EXISTS (SELECT 1 FROM message_outbox WHERE id = $1::text::uuid)",
                &[&id],
            )
            .await
            .unwrap();
        if row.get::<_, bool>(0) {
            routed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(routed, "message was never routed");
    let d = stack
        .api
        .get(&format!("/api/v1/messages/{id}/deliveries"))
        .await;
    assert_eq!(d.body["count"], 0);
    assert_eq!(
        stack.api.get(&format!("/api/v1/messages/{id}")).await.body["data"],
        json!(null)
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn direct_send_reaches_only_that_endpoint() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let a = stack.endpoint(&f, "/a", json!({})).await;
    stack.endpoint(&f, "/b", json!({})).await;
    let off = stack
        .endpoint(&f, "/off", json!({"status": "disabled"}))
        .await;
    let path = |e: &serde_json::Value| {
        format!(
            "/api/v1/subscriptions/{}/endpoints/{}/messages",
            f.subscription_id,
            e["id"].as_str().unwrap()
        )
    };
    let r = stack
        .api
        .post(
            &path(&a),
            &json!({"event_type": "user.created", "data": {"direct": true}}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |r| !r.is_empty())
            .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stack.receiver.received_at("/a").len(), 1);
    assert!(stack.receiver.received_at("/b").is_empty());
    // A disabled endpoint or another version is refused and nothing is stored (counted once
    // the accepted message's delivery is settled, so its own rows are all written).
    stack
        .eventually(
            &format!(
                "/api/v1/messages/{}/deliveries",
                r.body["id"].as_str().unwrap()
            ),
            Duration::from_secs(15),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    let before = stack.row_counts().await;
    assert_error(
        &stack
            .api
            .post(
                &path(&off),
                &json!({"event_type": "user.created", "data": 1}),
            )
            .await,
        422,
    );
    assert_error(
        &stack
            .api
            .post(
                &path(&a),
                &json!({"event_type": "user.created", "version": "9.9", "data": 1}),
            )
            .await,
        422,
    );
    let list = stack
        .api
        .get(&format!("/api/v1/apps/{}/messages", f.app_id))
        .await;
    assert_eq!(list.body["count"], 1, "{}", list.text);
    stack
        .assert_rows_unchanged(&before, &[], "a refused direct send")
        .await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn endpoint_changes_reach_the_router_without_a_restart() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let e = stack.endpoint(&f, "/x", json!({})).await;
    let id: uuid::Uuid = e["id"].as_str().unwrap().parse().unwrap();
    let r = stack
        .api
        .patch(
            &format!("/api/v1/subscriptions/{}/endpoints/{id}", f.subscription_id),
            &json!({"status": "disabled"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    stack
        .wait_view(|v| v.endpoint(id).is_some_and(|r| !r.enabled))
        .await;
    assert_eq!(
        stack
            .send(&f, json!({"event_type": "user.created", "data": 1}))
            .await
            .status,
        202
    );
    // And enabling again with another event type.
    let r = stack
        .api
        .patch(
            &format!("/api/v1/subscriptions/{}/endpoints/{id}", f.subscription_id),
            &json!({"status": "enabled", "event_types": ["user.deleted"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    stack
        .wait_view(|v| {
            v.endpoint(id)
                .is_some_and(|r| r.enabled && r.event_types == ["user.deleted"])
        })
        .await;
    assert_eq!(
        stack
            .send(&f, json!({"event_type": "user.deleted", "data": 2}))
            .await
            .status,
        202
    );
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |r| !r.is_empty())
            .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = stack.receiver.received_at("/x");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["data"], json!(2));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sends_of_one_event_id_on_two_ingest_replicas_make_one_message() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/once", json!({})).await;
    // A second ingest replica on the same database and broker.
    let second = hookd_ingest::Application::build(stack.settings.clone())
        .await
        .unwrap();
    let second_api = hookd_testkit::ApiClient::new(
        format!("http://127.0.0.1:{}", second.port()),
        Some(ADMIN_KEY),
    );
    let token = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(second.run_until_stopped(token.clone()));

    let body = json!({"event_type": "user.created", "event_id": "same-event", "data": {"k": 1}});
    let path = format!("/api/v1/apps/{}/messages", f.app_id);
    let sends = (0..20).map(|i| {
        let api = if i % 2 == 0 {
            stack.api.clone()
        } else {
            second_api.clone()
        };
        let (path, body) = (path.clone(), body.clone());
        async move { api.post(&path, &body).await }
    });
    let answers = futures_util::future::join_all(sends).await;
    let accepted = answers.iter().filter(|a| a.status == 202).count();
    let replayed = answers.iter().filter(|a| a.status == 200).count();
    assert_eq!(
        (accepted, replayed),
        (1, 19),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    let ids: std::collections::HashSet<_> = answers.iter().map(|a| a.body["id"].clone()).collect();
    assert_eq!(ids.len(), 1);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |r| !r.is_empty())
            .await
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(stack.receiver.received_at("/once").len(), 1);
    token.cancel();
    let _ = server.await;
    stack.stop().await;
}
