//! The outbox of inbound requests (migration 0028): an accepted request is stored with its
//! outbox row and a rejected one without, routing takes the row out, the relay reads it, and a
//! deleted request takes its row along.

use crate::engine_support::*;
use crate::helpers::*;
use crate::support::*;
use hookd_db::gateway::{requests, routing};
use std::time::Duration;
use uuid::Uuid;

const QUEUED: &str = "SELECT count(*) FROM gw_request_outbox WHERE id = $1";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_accepted_request_waits_in_the_outbox_until_routed() {
    // No relay during the test: what is in the outbox stays there.
    let stack = TestStack::spawn_with(|s| s.router.relay_after = Duration::from_secs(3600)).await;
    let (conn, request) = routed(&stack, "outbox-row").await;
    let db = stack.db().await;
    assert_eq!(count(&db, QUEUED, request).await, 0, "routed, still queued");
    let routed_at = "SELECT count(*) FROM gw_requests WHERE id = $1 AND routed_at IS NOT NULL";
    assert_eq!(count(&db, routed_at, request).await, 1);

    // Stored as ingest stores them, never published (ingest died before its publish).
    let org: Uuid = db
        .query_one(
            "SELECT organization_id FROM gw_requests WHERE id = $1",
            &[&request],
        )
        .await
        .unwrap()
        .get(0);
    let kept = requests::get(&db, org, request).await.unwrap();
    let accepted = stored_again(&kept);
    let mut rejected = stored_again(&kept);
    rejected.request.rejection_cause = Some("VERIFICATION_FAILED".into());
    requests::insert_many(&db, &[accepted.clone(), rejected.clone()])
        .await
        .unwrap();
    let (accepted, rejected) = (accepted.request.id, rejected.request.id);
    assert_eq!(
        count(&db, QUEUED, accepted).await,
        1,
        "accepted, not queued"
    );
    assert_eq!(count(&db, QUEUED, rejected).await, 0, "rejected, queued");
    let due = chrono::Utc::now() + chrono::Duration::seconds(1);
    let relayed: Vec<Uuid> = routing::unrouted(&db, due, 100)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert!(relayed.contains(&accepted), "the relay misses {accepted}");
    assert!(!relayed.contains(&rejected) && !relayed.contains(&request));

    // The source's deletion takes the requests, and their outbox rows with them.
    let sid = conn["source"]["id"].as_str().unwrap();
    let r = call(&stack.api, "DELETE", &format!("/sources/{sid}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        count(&db, QUEUED, accepted).await,
        0,
        "outlived its request"
    );
    stack.stop().await;
}
