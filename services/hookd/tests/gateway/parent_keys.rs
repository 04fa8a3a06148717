//! Requests and events keep to their source and connection without foreign keys on those hot
//! rows (migration 0027): a deletion takes its children with it, a child stored as its parent
//! was deleted is swept later, and a request of a missing source is refused.

use crate::engine_support::*;
use crate::helpers::*;
use crate::support::*;
use hookd_db::gateway::requests;
use hookd_db::DbError;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_source_takes_its_requests_and_a_late_one_is_swept() {
    let stack = TestStack::spawn().await;
    let (conn, request) = routed(&stack, "src-gone").await;
    let (_other, other_request) = routed(&stack, "src-stays").await;
    let db = stack.db().await;
    let source = uuid_of(conn["source"]["id"].as_str().unwrap());
    let org: Uuid = db
        .query_one(
            "SELECT organization_id FROM gw_sources WHERE id = $1",
            &[&source],
        )
        .await
        .unwrap()
        .get(0);
    let kept = requests::get(&db, org, request).await.unwrap();
    let live = requests::get(&db, org, other_request).await.unwrap();
    let sid = conn["source"]["id"].as_str().unwrap();
    let r = call(&stack.api, "DELETE", &format!("/sources/{sid}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for sql in [
        "SELECT count(*) FROM gw_requests WHERE source_id = $1",
        "SELECT count(*) FROM gw_events WHERE source_id = $1",
        "SELECT count(*) FROM gw_connections WHERE source_id = $1",
    ] {
        assert_eq!(
            count(&db, sql, source).await,
            0,
            "{sql}: outlived the source"
        );
    }
    // A request of the missing source is refused, and a batch holding one stores nothing.
    let gone = stored_again(&kept);
    assert!(matches!(
        requests::insert_many(&db, std::slice::from_ref(&gone)).await,
        Err(DbError::NotFound)
    ));
    let fine = stored_again(&live);
    assert!(matches!(
        requests::insert_many(&db, &[fine.clone(), gone]).await,
        Err(DbError::NotFound)
    ));
    let fine_id = fine.request.id;
    let stored = "SELECT count(*) FROM gw_requests WHERE id = $1";
    assert_eq!(
        count(&db, stored, fine_id).await,
        0,
        "half a batch was stored"
    );
    requests::insert_many(&db, &[fine]).await.unwrap();
    assert_eq!(count(&db, stored, fine_id).await, 1);
    // One stored as an insert racing the deletion would have left it.
    let late = Uuid::now_v7();
    db.execute(
        "INSERT INTO gw_requests (id, organization_id, source_id, verified, method, data, body,
            ingested_at)
         VALUES ($1, $2, $3, true, 'POST', '{}', '', now())",
        &[&late, &org, &source],
    )
    .await
    .unwrap();
    let within = hookd_db::tombstones::sweep(&db, Duration::from_secs(300)).await;
    assert_eq!(within.unwrap().gw_requests, 0, "swept within the grace");
    let swept = hookd_db::tombstones::sweep(&db, Duration::ZERO).await;
    assert_eq!(swept.unwrap().gw_requests, 1);
    assert_eq!(count(&db, stored, late).await, 0);
    let tombstone = "SELECT count(*) FROM deleted_parents WHERE id = $1";
    assert_eq!(
        count(&db, tombstone, source).await,
        0,
        "the tombstone stayed"
    );
    assert_eq!(
        count(&db, stored, other_request).await,
        1,
        "another source's request went"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_connection_takes_its_events_and_a_late_one_is_swept() {
    let stack = TestStack::spawn().await;
    let (conn, request) = routed(&stack, "conn-gone").await;
    let db = stack.db().await;
    let connection = uuid_of(conn["id"].as_str().unwrap());
    let event = db
        .query_one(
            "SELECT organization_id, source_id, destination_id FROM gw_events
             WHERE request_id = $1",
            &[&request],
        )
        .await
        .unwrap();
    let (org, source, destination): (Uuid, Uuid, Uuid) = (event.get(0), event.get(1), event.get(2));
    let cid = conn["id"].as_str().unwrap();
    let r = call(&stack.api, "DELETE", &format!("/connections/{cid}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let events = "SELECT count(*) FROM gw_events WHERE connection_id = $1";
    assert_eq!(
        count(&db, events, connection).await,
        0,
        "events outlived their connection"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM gw_requests WHERE id = $1",
            request
        )
        .await,
        1,
        "the request belongs to its source, not to the connection"
    );
    db.execute(
        "INSERT INTO gw_events (id, organization_id, connection_id, source_id, destination_id,
            request_id, status)
         VALUES ($1, $2, $3, $4, $5, $6, 'SCHEDULED')",
        &[
            &Uuid::now_v7(),
            &org,
            &connection,
            &source,
            &destination,
            &request,
        ],
    )
    .await
    .unwrap();
    let swept = hookd_db::tombstones::sweep(&db, Duration::ZERO).await;
    assert_eq!(swept.unwrap().gw_events, 1);
    assert_eq!(count(&db, events, connection).await, 0);
    stack.stop().await;
}
