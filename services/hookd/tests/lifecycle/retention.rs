//! Retention: payloads past their organization's retention are expunged, messages past the
//! metadata retention deleted with their deliveries and attempts, and nothing newer is touched.

use crate::helpers::*;
use crate::support::*;
use hookd_router::retention::{pass, RetentionMetrics};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

/// Runs retention passes until one finds nothing more to do (bounded).
async fn run_passes(stack: &TestStack, metrics: &RetentionMetrics) -> usize {
    let pool = hookd_db::connect(stack.settings.database.url.expose(), 2).unwrap();
    for n in 1..=50 {
        if !pass(&pool, &stack.settings.retention, metrics)
            .await
            .unwrap()
        {
            return n;
        }
    }
    panic!("retention passes never finished");
}

fn spawn_settings(s: &mut hookd_config::Settings) {
    s.retention.payload_days = 30;
    s.retention.metadata_days = 90;
    // Only the test's own passes run (the router's first one finds an empty database), and
    // small batches make them walk the cursor.
    s.retention.interval = Duration::from_secs(3600);
    s.retention.batch_size = 2;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_expunges_payloads_past_their_time_and_touches_nothing_newer() {
    let stack = TestStack::spawn_with(spawn_settings).await;
    let (_, ids) = delivered(&stack, 8).await;
    let (old, newer_29d, ancient, fresh) = (&ids[..5], ids[5], ids[6], ids[7]);
    age(&stack, old, 31).await;
    age(&stack, &[newer_29d], 29).await;
    age(&stack, &[ancient], 100).await;

    // Another organization keeps payloads 2 days only.
    let (org_id, other) = new_org(&stack, "org").await;
    let app = created(other.post("/api/v1/apps", &json!({"name": "b"})).await);
    let app_id = app["id"].as_str().unwrap();
    created(
        other
            .post(
                &format!("/api/v1/apps/{app_id}/event_types"),
                &json!({"name": "user.created"}),
            )
            .await,
    );
    let mut short = Vec::new();
    for days in [3, 1] {
        let sent = other
            .post(
                &format!("/api/v1/apps/{app_id}/messages"),
                &json!({"event_type": "user.created", "data": {"days": days}}),
            )
            .await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        let id: Uuid = sent.body["id"].as_str().unwrap().parse().unwrap();
        age(&stack, &[id], days).await;
        short.push(id);
    }
    let set = stack
        .api
        .patch(
            &format!("/api/v1/organizations/{org_id}"),
            &json!({"payload_retention_days": 2}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    let db = stack.db().await;

    let kept_before = (
        stored(&stack, newer_29d).await.unwrap(),
        stored(&stack, fresh).await.unwrap(),
        stored(&stack, short[1]).await.unwrap(),
    );
    let counts_before = stack.row_counts().await;
    // The router's first pass, late on a loaded machine, may have seen the app before its
    // messages were aged and set its cursor past them: start the test's passes from none.
    db.execute("DELETE FROM retention_cursors", &[])
        .await
        .unwrap();
    let metrics = RetentionMetrics::register(&hookd_telemetry::prometheus::Registry::new());
    let passes = run_passes(&stack, &metrics).await;
    assert!(
        passes > 1,
        "5 old messages in batches of 2 take several passes"
    );

    // Past their time: payload and attempt bodies gone, the message and delivery kept.
    for id in old.iter().chain([&short[0]]) {
        let s = stored(&stack, *id).await.unwrap();
        assert_eq!(s.data, Value::Null, "{id}");
        assert!(s.expunged, "{id}");
        assert!(s.attempt_bodies.iter().all(Option::is_none), "{id}: {s:?}");
    }
    assert_eq!(stored(&stack, old[0]).await.unwrap().deliveries, 1);
    let none_left: i64 = db
        .query_one(
            "SELECT count(*) FROM messages m
             WHERE m.created_at < now() - interval '30 days'
               AND (m.expunged_at IS NULL OR m.data <> 'null'::jsonb
                    OR EXISTS (SELECT 1 FROM attempts t
                               WHERE t.message_id = m.id AND t.response_body IS NOT NULL))",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(none_left, 0, "a payload outlived its retention");
    // Past the metadata retention: no row of it anywhere.
    assert!(stored(&stack, ancient).await.is_none());
    assert_eq!(children(&stack, ancient).await, 0);
    // Newer ones exactly as they were.
    assert_eq!(
        (
            stored(&stack, newer_29d).await.unwrap(),
            stored(&stack, fresh).await.unwrap(),
            stored(&stack, short[1]).await.unwrap(),
        ),
        kept_before
    );
    assert_eq!(kept_before.0.attempt_bodies.len(), 1);
    assert!(kept_before.0.attempt_bodies[0].is_some());

    // Rows: one message, its delivery and attempt fewer; every other table as it was.
    let after = stack.row_counts().await;
    for table in ["messages", "deliveries", "attempts"] {
        assert_eq!(after[table], counts_before[table] - 1, "{table}");
    }
    stack
        .assert_rows_unchanged(
            &counts_before,
            &["messages", "deliveries", "attempts", "retention_cursors"],
            "retention",
        )
        .await;
    assert_eq!(metrics.payloads_expunged.get(), 6);
    assert_eq!(metrics.attempt_bodies_expunged.get(), 5);
    for table in ["messages", "deliveries", "attempts"] {
        assert_eq!(metrics.rows_deleted.with_label_values(&[table]).get(), 1);
    }

    // The API shows the expunged payload as null with its time; a kept one as it was.
    let read = stack.api.get(&format!("/api/v1/messages/{}", old[0])).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["data"], Value::Null);
    assert!(read.body["expunged_at"].is_string(), "{}", read.text);
    let read = stack.api.get(&format!("/api/v1/messages/{fresh}")).await;
    assert_eq!(read.body["data"]["secret"], "s3cr3t");
    assert!(read.body.get("expunged_at").is_none(), "{}", read.text);

    // Another pass finds nothing: the cursor keeps it from redoing work.
    assert_eq!(run_passes(&stack, &metrics).await, 1);
    assert_eq!(metrics.payloads_expunged.get(), 6);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payloads_kept_forever_still_lose_their_metadata_after_its_retention() {
    let stack = TestStack::spawn_with(|s| {
        spawn_settings(s);
        s.retention.payload_days = 0;
    })
    .await;
    let (_, ids) = delivered(&stack, 2).await;
    age(&stack, &ids[..1], 100).await;
    age(&stack, &ids[1..], 50).await;
    let kept = stored(&stack, ids[1]).await.unwrap();
    let metrics = RetentionMetrics::register(&hookd_telemetry::prometheus::Registry::new());
    run_passes(&stack, &metrics).await;
    assert!(stored(&stack, ids[0]).await.is_none(), "past metadata_days");
    assert_eq!(children(&stack, ids[0]).await, 0);
    assert_eq!(stored(&stack, ids[1]).await.unwrap(), kept);
    assert!(!kept.expunged && kept.data["secret"] == "s3cr3t");
    assert_eq!(metrics.payloads_expunged.get(), 0);
    stack.stop().await;
}
