//! A fifo head's final attempt record and the promotion of its lane's next delivery are one
//! transaction (issue 18, throughput): one commit per lane message, and a crash leaves both or
//! neither, so the next never goes while its predecessor's settle could still be lost.

use crate::connection_state::assert_idle;
use crate::fifo::arrivals;
use crate::helpers::*;
use hookd_db::deliveries::AttemptRecord;
use hookd_db::lanes::{settle_and_promote, Lane};
use hookd_domain::DeliveryStatus;
use hookd_testkit::{Behavior, Gate};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_heads_settle_leases_the_next_of_its_lane_in_the_same_commit() {
    // The head stays in flight (held, no timeout ends its try) until the gate opens.
    let stack = TestStack::spawn_with(|s| s.delivery.timeout = Duration::from_secs(120)).await;
    let f = stack.fixture().await;
    let endpoint = stack
        .endpoint(&f, "/held", json!({"ordering": "fifo"}))
        .await;
    let endpoint_id = Uuid::parse_str(endpoint["id"].as_str().unwrap()).unwrap();
    let gate = Gate::default();
    stack.receiver.set("/held", Behavior::Hold(gate.clone()));
    for seq in 0..3 {
        let r = stack
            .send(
                &f,
                json!({"event_type": "user.created", "data": {"seq": seq}}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(20), |r| !r.is_empty())
            .await,
        "the head never reached the receiver"
    );
    let db = stack.db().await;
    // The lane's three deliveries, once all are routed.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while lane_rows(&db, endpoint_id).await.len() < 3 {
        assert!(std::time::Instant::now() < deadline, "not all routed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows = lane_rows(&db, endpoint_id).await;
    let (head, next, last): (Uuid, Uuid, Uuid) = (rows[0].get(0), rows[1].get(0), rows[2].get(0));
    assert!(
        !rows[0].get::<_, bool>("waiting"),
        "the head is not in flight"
    );
    assert!(rows[1].get::<_, bool>("waiting"));

    // Settle the head as its worker would (that worker's own record, once the gate opens, is a
    // duplicate try and moves nothing). The promoted delivery is leased for an hour, so the
    // scheduler cannot rewrite its row before the check of who wrote it; its lease is then
    // expired by hand, the scheduler publishes it, and the lane carries on by itself.
    let record = AttemptRecord {
        delivery_id: head,
        message_id: rows[0].get(1),
        endpoint_id,
        attempt: 1,
        response_status: Some(200),
        response_body: None,
        error: None,
        duration_ms: 1,
        status: DeliveryStatus::Succeeded,
        next_attempt_at: None,
    };
    let lease_until = chrono::Utc::now() + chrono::Duration::hours(1);

    // The settle's statements go in one pipeline. One the database refuses (text with a NUL)
    // fails all of it: nothing stays, and the connection is out of the transaction again.
    let refused = AttemptRecord {
        response_body: Some("a\0b".into()),
        ..record.clone()
    };
    assert!(settle_and_promote(&db, &[refused], lease_until)
        .await
        .is_err());
    assert_idle(&stack, &db).await;
    let rows = lane_rows(&db, endpoint_id).await;
    assert_eq!(
        rows[0].get::<_, &str>("status"),
        "pending",
        "a refused settle stayed"
    );
    assert!(
        rows[1].get::<_, bool>("waiting"),
        "a refused settle promoted the next"
    );

    let (settled, due) = settle_and_promote(&db, &[record], lease_until)
        .await
        .unwrap();
    let lane = Lane {
        endpoint_id,
        lane: hookd_domain::SHARED_LANE.to_owned(),
    };
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0].delivery_id, head);
    assert_eq!(settled[0].lane.as_ref(), Some(&lane));
    assert_eq!(due.len(), 1, "the next was not promoted with the settle");
    assert_eq!(due[0].delivery_id, next);
    assert_eq!(due[0].lane.as_ref(), Some(&lane));

    let rows = lane_rows(&db, endpoint_id).await;
    assert_eq!(rows[0].get::<_, &str>("status"), "succeeded");
    assert!(!rows[1].get::<_, bool>("waiting"), "the next is not leased");
    assert_eq!(
        rows[0].get::<_, i64>("tx"),
        rows[1].get::<_, i64>("tx"),
        "the head's settle and the next's lease were written by two transactions"
    );
    assert_eq!(rows[2].get::<_, Uuid>(0), last);
    assert!(rows[2].get::<_, bool>("waiting"), "the last went early");

    db.execute(
        "UPDATE deliveries SET next_attempt_at = now() WHERE id = $1",
        &[&next],
    )
    .await
    .unwrap();
    gate.open();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r.len() >= 3)
            .await,
        "the lane did not carry on: {:?}",
        arrivals(&stack.receiver.received(), "/held")
    );
    let got = arrivals(&stack.receiver.received(), "/held");
    assert_eq!(got[""], vec![0, 1, 2]);
    stack.stop().await;
}

/// The endpoint's deliveries in message order, with the transaction that last wrote each.
async fn lane_rows(db: &hookd_db::Client, endpoint_id: Uuid) -> Vec<hookd_db::tokio_postgres::Row> {
    db.query(
        "SELECT id, message_id, waiting, status, xmin::text::bigint AS tx FROM deliveries
         WHERE endpoint_id = $1 ORDER BY message_id",
        &[&endpoint_id],
    )
    .await
    .unwrap()
}
