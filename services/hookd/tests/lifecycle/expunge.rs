//! `DELETE /api/v1/messages/{id}/content`: one payload expunged now, of the caller's own
//! messages only; the message can never be sent again.

use crate::helpers::*;
use crate::support::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_messages_content_expunges_it_now_and_only_it() {
    let stack = TestStack::spawn().await;
    let (f, ids) = delivered(&stack, 3).await;
    let (target, pending, untouched) = (ids[0], ids[1], ids[2]);
    let untouched_before = stored(&stack, untouched).await.unwrap();

    // Another organization's key cannot see it; an unknown id is a 404 too.
    let (_, other) = new_org(&stack, "org").await;
    let before = stored(&stack, target).await.unwrap();
    assert_error(
        &other
            .delete(&format!("/api/v1/messages/{target}/content"))
            .await,
        404,
    );
    assert_eq!(stored(&stack, target).await.unwrap(), before);
    assert_error(
        &stack
            .api
            .delete(&format!(
                "/api/v1/messages/{}/content",
                uuid::Uuid::new_v4()
            ))
            .await,
        404,
    );

    let r = stack
        .api
        .delete(&format!("/api/v1/messages/{target}/content"))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let s = stored(&stack, target).await.unwrap();
    assert_eq!(s.data, Value::Null);
    assert!(s.expunged);
    assert!(s.attempt_bodies.iter().all(Option::is_none), "{s:?}");
    let read = stack.api.get(&format!("/api/v1/messages/{target}")).await;
    assert_eq!(read.body["data"], Value::Null, "{}", read.text);
    assert!(read.body["expunged_at"].is_string(), "{}", read.text);
    let listed = stack
        .api
        .get(&format!("/api/v1/apps/{}/messages", f.app_id))
        .await;
    let model = listed.body["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == target.to_string())
        .cloned()
        .unwrap();
    assert_eq!(model["data"], Value::Null);
    // Again: still 204, nothing more changes.
    let r = stack
        .api
        .delete(&format!("/api/v1/messages/{target}/content"))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);

    // It cannot be sent again.
    let delivery = stack
        .api
        .get(&format!("/api/v1/messages/{target}/deliveries"))
        .await;
    let delivery_id = delivery.body["models"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_error(
        &stack
            .api
            .post(
                &format!("/api/v1/deliveries/{delivery_id}/retry"),
                &json!({}),
            )
            .await,
        422,
    );
    // A delivery still waiting for a try ends when its payload goes.
    let db = stack.db().await;
    db.execute(
        "UPDATE deliveries SET status = 'pending', queued = false,
            next_attempt_at = now() + interval '1 hour' WHERE message_id = $1",
        &[&pending],
    )
    .await
    .unwrap();
    let r = stack
        .api
        .delete(&format!("/api/v1/messages/{pending}/content"))
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let status: String = db
        .query_one(
            "SELECT status FROM deliveries WHERE message_id = $1",
            &[&pending],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "failed");

    let after = stored(&stack, untouched).await.unwrap();
    assert_eq!(after.data, untouched_before.data);
    assert_eq!(after.attempt_bodies, untouched_before.attempt_bodies);
    assert!(!after.expunged);
    // A bulk retry passes over the expunged ones.
    let bulk = stack
        .api
        .post(
            &format!("/api/v1/apps/{}/deliveries/retry", f.app_id),
            &json!({}),
        )
        .await;
    assert_eq!(bulk.status, 202, "{}", bulk.text);
    assert_eq!(
        bulk.body["count"], 1,
        "only the kept message: {}",
        bulk.text
    );

    stack.stop().await;
}
