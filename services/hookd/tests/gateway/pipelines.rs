//! The gateway's transactions sent as pipelines (`gateway::route_record`, `gateway::try_record`):
//! a write the database refuses (text or JSON with a NUL) fails the whole transaction, nothing
//! of it stays, and the connection goes back to the pool out of the transaction.

use crate::connection_state::assert_idle;
use crate::engine_support::*;
use crate::helpers::*;
use hookd_db::gateway::dispatch::TryRecord;
use hookd_db::gateway::routing::Outcome;
use hookd_db::gateway::{requests, retry, route_record};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_routing_write_leaves_the_request_unrouted() {
    // No relay during the test: the hand-stored request stays unrouted unless routed here.
    let stack = TestStack::spawn_with(|s| s.router.relay_after = Duration::from_secs(3600)).await;
    let (conn, request) = routed(&stack, "refused-route").await;
    let db = stack.db().await;
    let org: Uuid = db
        .query_one(
            "SELECT organization_id FROM gw_requests WHERE id = $1",
            &[&request],
        )
        .await
        .unwrap()
        .get(0);
    // Stored as ingest stores it, never published.
    let again = stored_again(&requests::get(&db, org, request).await.unwrap());
    requests::insert_many(&db, std::slice::from_ref(&again))
        .await
        .unwrap();
    let id = again.request.id;
    let connection_id = uuid_of(conn["id"].as_str().unwrap());

    let (locked, _) = route_record::begin_and_lock(&db, &[id]).await.unwrap();
    assert_eq!(
        locked.len(),
        1,
        "the stored request is not locked for routing"
    );
    let refused = [Outcome::Ignored {
        connection_id: Some(connection_id),
        cause: "FILTERED",
        meta: Some(json!({"body": "a\u{0}b"})),
    }];
    let batch = [(&locked[0], &refused[..])];
    assert!(route_record::record_and_commit(&db, &batch, &[org])
        .await
        .is_err());
    assert_idle(&stack, &db).await;
    let unrouted = "SELECT count(*) FROM gw_requests WHERE id = $1 AND routed_at IS NULL";
    assert_eq!(
        count(&db, unrouted, id).await,
        1,
        "the refused routing stayed"
    );
    let queued = "SELECT count(*) FROM gw_request_outbox WHERE id = $1";
    assert_eq!(count(&db, queued, id).await, 1, "the outbox row went");
    let ignored = "SELECT count(*) FROM gw_ignored_events WHERE request_id = $1";
    assert_eq!(count(&db, ignored, id).await, 0);

    // The same connection routes it afterwards.
    let (locked, _) = route_record::begin_and_lock(&db, &[id]).await.unwrap();
    let accepted = [Outcome::Ignored {
        connection_id: Some(connection_id),
        cause: "FILTERED",
        meta: Some(json!({"body": "ab"})),
    }];
    let batch = [(&locked[0], &accepted[..])];
    route_record::record_and_commit(&db, &batch, &[org])
        .await
        .unwrap();
    assert_eq!(count(&db, unrouted, id).await, 0);
    assert_eq!(count(&db, queued, id).await, 0);
    assert_eq!(count(&db, ignored, id).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_try_record_leaves_the_event_as_it_was() {
    let stack = TestStack::spawn().await;
    let (_, request) = routed(&stack, "refused-try").await;
    let before = wait_events(&stack, request, |e| e[0].0 == "SUCCESSFUL").await;
    let mut db = stack.db().await;
    let row = db
        .query_one(
            "SELECT id, destination_id FROM gw_events WHERE request_id = $1",
            &[&request],
        )
        .await
        .unwrap();
    let refused = TryRecord {
        event_id: row.get(0),
        destination_id: row.get(1),
        trigger: "MANUAL".into(),
        succeeded: false,
        response_status: Some(500),
        error_code: None,
        body: Some("a\0b".into()),
        requested_url: stack.receiver.url("/refused-try"),
        http_method: "POST".into(),
        duration_ms: 1,
    };
    let schedule = [Duration::from_secs(1)];
    assert!(
        retry::record(&mut db, std::slice::from_ref(&refused), &schedule)
            .await
            .is_err()
    );
    assert_idle(&stack, &db).await;
    assert_eq!(events(&stack, request).await, before, "the event moved");
    assert_eq!(
        attempts(&stack, request).await.len(),
        1,
        "an attempt stayed"
    );

    // The same connection records a good try afterwards.
    let good = TryRecord {
        body: Some("ab".into()),
        ..refused
    };
    let recorded = retry::record(&mut db, &[good], &schedule).await.unwrap();
    assert_eq!(recorded[0].map(|r| r.attempt_number), Some(2));
    assert_eq!(attempts(&stack, request).await.len(), 2);
}
