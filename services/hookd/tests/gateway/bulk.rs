//! Bulk retries of events: 422 without a query, the plan, batches to completion, cancel, and a
//! run resumed from its stored cursor.

use crate::helpers::*;
use crate::seed::*;
use crate::support::*;
use hookd_db::gateway::bulk_retries::{self, BulkRetry};
use hookd_db::Cursor;
use serde_json::json;
use std::time::Duration;

/// How many events are marked for (or already had) a try of this bulk retry. (Only asserted
/// to be 0: a nonzero count could race the engine claiming a marked event.)
async fn retried_by(stack: &TestStack, bch: &str) -> i64 {
    stack
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM gw_events e WHERE e.next_bulk_retry_id = $1
                OR EXISTS (SELECT 1 FROM gw_attempts a WHERE a.event_id = e.id
                    AND a.bulk_retry_id = $1)",
            &[&uuid_of(bch)],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_bulk_retry_marks_every_matching_event_in_batches_until_completed() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let (source, requests) = source_with_requests(&stack, "bulk", 60).await;
    let a = paused_connection(api, &source, "ba").await;
    let b = paused_connection(api, &source, "bb").await;
    let other = paused_connection(api, &source, "bo").await;
    for r in &requests {
        held_event(&stack, &a, r).await;
        held_event(&stack, &b, r).await;
    }
    let untouched = held_event(&stack, &other, &requests[0]).await;

    // No query, an empty one or a bad one: 422, nothing started.
    let before = stack.row_counts().await;
    for body in [
        None,
        Some(json!({})),
        Some(json!({"query": {}})),
        Some(json!({"query": "status=FAILED"})),
        Some(json!({"query": {"status": "LOST"}})),
    ] {
        let r = call(api, "POST", "/bulk/events/retry", body.clone()).await;
        gw_error(&r, 422, "UNPROCESSABLE_ENTITY");
    }
    assert_eq!(
        ok(call(api, "GET", "/bulk/events/retry", None).await)["count"],
        0
    );
    stack
        .assert_rows_unchanged(&before, &[], "a refused bulk retry")
        .await;

    let query = json!({"webhook_id": [id(&a), id(&b)], "status": "HOLD",
        "created_at": {"gte": "2020-01-01"}});
    let plan = ok(call(
        api,
        "GET",
        &format!(
            "/bulk/events/retry/plan?query={}",
            urlencode(&query.to_string())
        ),
        None,
    )
    .await);
    assert_eq!(plan, json!({"estimated_count": 120, "estimated_batch": 2}));
    let plan = ok(call(
        api,
        "GET",
        &format!("/bulk/events/retry/plan?webhook_id={}", id(&other)),
        None,
    )
    .await);
    assert_eq!(plan["estimated_count"], 1);
    let all = ok(call(api, "GET", "/bulk/events/retry/plan", None).await);
    assert_eq!(all["estimated_count"], 121);

    let started = ok(call(
        api,
        "POST",
        "/bulk/events/retry",
        Some(json!({"query": query})),
    )
    .await);
    let bch = id(&started);
    assert!(bch.starts_with("bch_"));
    assert_eq!(started["estimated_count"], 120);
    assert_eq!(started["estimated_batch"], 2);
    assert_eq!(started["query"], query);
    let done = stack
        .eventually(
            &format!("/2024-03-01/bulk/events/retry/{bch}"),
            Duration::from_secs(20),
            |b| b["completed_at"].is_string(),
        )
        .await;
    assert_eq!(done["in_progress"], false);
    assert_eq!(done["processed_batch"], 2);
    assert_eq!(
        done["completed_count"].as_i64().unwrap() + done["failed_count"].as_i64().unwrap(),
        120
    );
    assert_eq!(done["completed_count"], 120, "none was in flight: {done}");
    assert_eq!(done["progress"], 1.0);
    assert!(done["cancelled_at"].is_null());
    // The event the query did not select is still held, unmarked.
    let still = ok(call(api, "GET", &format!("/events/{untouched}"), None).await);
    assert_eq!(still["status"], "HOLD");
    let listed = ok(call(api, "GET", "/bulk/events/retry?in_progress=false", None).await);
    assert_eq!(ids(&listed), vec![bch.clone()]);

    // Nothing matches: done at once.
    let empty = ok(call(
        api,
        "POST",
        "/bulk/events/retry",
        Some(json!({"query": {"status": "SUCCESSFUL"}})),
    )
    .await);
    assert_eq!(empty["estimated_count"], 0);
    assert_eq!(empty["in_progress"], false);
    assert!(empty["completed_at"].is_string());
    // Cancelling a finished one changes nothing; unknown ids are 404.
    let c = ok(call(
        api,
        "POST",
        &format!("/bulk/events/retry/{}/cancel", id(&empty)),
        None,
    )
    .await);
    assert!(c["cancelled_at"].is_null());
    gw_error(
        &call(api, "GET", "/bulk/events/retry/bch_nope", None).await,
        404,
        "NOT_FOUND",
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_bulk_retry_resumes_from_its_cursor_and_a_cancelled_one_stops() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let (source, requests) = source_with_requests(&stack, "resume", 5).await;
    let c = paused_connection(api, &source, "rs").await;
    let mut events = Vec::new();
    for r in &requests {
        events.push(held_event(&stack, &c, r).await);
    }
    let org = uuid::Uuid::parse_str(c["team_id"].as_str().unwrap()).unwrap();
    let mut db = stack.db().await;
    // A run that had done the first two events when its runner died: stored with its cursor
    // in one transaction, so the live runner only ever sees it resumed.
    let third: chrono::DateTime<chrono::Utc> = db
        .query_one(
            "SELECT created_at FROM gw_events WHERE id = $1",
            &[&uuid_of(&events[1])],
        )
        .await
        .unwrap()
        .get(0);
    let now = chrono::Utc::now();
    let draft = BulkRetry {
        id: hookd_domain::new_id(),
        organization_id: org,
        query: json!({"webhook_id": id(&c)}),
        estimated_count: 5,
        estimated_batch: 1,
        processed_batch: 0,
        completed_count: 2,
        failed_count: 0,
        cursor: None,
        in_progress: true,
        completed_at: None,
        cancelled_at: None,
        created_at: now,
        updated_at: now,
    };
    let tx = db.transaction().await.unwrap();
    let b = bulk_retries::insert(&tx, &draft).await.unwrap();
    let cursor = Cursor {
        created_at: third,
        id: uuid_of(&events[1]),
    };
    tx.execute(
        "UPDATE gw_bulk_retries SET cursor_created_at = $2, cursor_id = $3, completed_count = 2
         WHERE id = $1",
        &[&b.id, &cursor.created_at, &cursor.id],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let bch = format!("bch_{}", b.id.simple());
    let done = stack
        .eventually(
            &format!("/2024-03-01/bulk/events/retry/{bch}"),
            Duration::from_secs(20),
            |b| b["completed_at"].is_string(),
        )
        .await;
    assert_eq!(done["completed_count"], 5, "{done}");

    for e in &events[..2] {
        let still = ok(call(api, "GET", &format!("/events/{e}"), None).await);
        assert_eq!(still["status"], "HOLD", "before the cursor: {e}");
    }

    // A cancelled run does no further batch.
    let draft = BulkRetry {
        id: hookd_domain::new_id(),
        completed_count: 0,
        ..draft
    };
    let tx = db.transaction().await.unwrap();
    let b = bulk_retries::insert(&tx, &draft).await.unwrap();
    let cancelled = bulk_retries::cancel(&tx, org, b.id).await.unwrap();
    tx.commit().await.unwrap();
    assert!(cancelled.cancelled_at.is_some() && !cancelled.in_progress);
    let bch = format!("bch_{}", b.id.simple());
    let got = ok(call(api, "GET", &format!("/bulk/events/retry/{bch}"), None).await);
    assert!(got["cancelled_at"].is_string());
    assert_eq!(got["in_progress"], false);
    // An event whose try is in flight is left alone and counted failed; the runner that
    // finished that bulk retry passed over the cancelled one.
    db.execute(
        "UPDATE gw_events SET status = 'QUEUED', queued = true,
            next_attempt_at = now() + interval '1 hour' WHERE id = $1",
        &[&uuid_of(&events[0])],
    )
    .await
    .unwrap();
    let flying = ok(call(
        api,
        "POST",
        "/bulk/events/retry",
        Some(json!({"query": {"id": events[0]}})),
    )
    .await);
    assert_eq!(flying["estimated_count"], 1);
    let flying = stack
        .eventually(
            &format!("/2024-03-01/bulk/events/retry/{}", id(&flying)),
            Duration::from_secs(20),
            |b| b["completed_at"].is_string(),
        )
        .await;
    assert_eq!(flying["failed_count"], 1, "{flying}");
    assert_eq!(flying["completed_count"], 0);
    let row = db
        .query_one(
            "SELECT next_bulk_retry_id IS NULL, next_attempt_at > now() + interval '30 minutes'
             FROM gw_events WHERE id = $1",
            &[&uuid_of(&events[0])],
        )
        .await
        .unwrap();
    assert!(
        row.get::<_, bool>(0) && row.get::<_, bool>(1),
        "the lease is untouched"
    );
    let still = ok(call(api, "GET", &format!("/bulk/events/retry/{bch}"), None).await);
    assert_eq!(still["processed_batch"], 0);
    assert_eq!(retried_by(&stack, &bch).await, 0);
    stack.stop().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
