//! Gateway retention: inbound requests past the payload retention lose their body and headers
//! (and their attempts' response bodies), requests past the metadata retention are deleted
//! with their events and attempts, and nothing newer is touched.

use crate::helpers::*;
use hookd_router::retention::{pass, RetentionMetrics};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A request's stored body, data, expunge mark, and its events' attempt bodies.
#[derive(Debug, Clone, PartialEq)]
struct StoredRequest {
    body: Vec<u8>,
    data: Value,
    expunged: bool,
    events: i64,
    attempt_bodies: Vec<Option<String>>,
}

async fn stored(db: &hookd_db::Client, id: Uuid) -> Option<StoredRequest> {
    let row = db
        .query_opt(
            "SELECT body, data, expunged_at IS NOT NULL FROM gw_requests WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap()?;
    let events: i64 = db
        .query_one(
            "SELECT count(*) FROM gw_events WHERE request_id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    let attempt_bodies = db
        .query(
            "SELECT a.body FROM gw_attempts a JOIN gw_events e ON e.id = a.event_id
             WHERE e.request_id = $1 ORDER BY a.id",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    Some(StoredRequest {
        body: row.get(0),
        data: row.get(1),
        expunged: row.get(2),
        events,
        attempt_bodies,
    })
}

/// `n` inbound requests with a token header through one connection, each delivered once, and
/// each attempt given a response body. Their ids, oldest first.
async fn delivered_requests(stack: &TestStack, n: usize) -> Vec<Uuid> {
    let c = stack
        .api
        .raw(
            "POST",
            "/2024-03-01/connections",
            Some(
                json!({"name": "c", "source": {"name": "src"},
                       "destination": {"name": "dst", "url": stack.receiver.url("/gw")}})
                .to_string()
                .into(),
            ),
            &[],
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let url = c.body["source"]["url"].as_str().unwrap();
    let path = url.strip_prefix(&stack.base).unwrap().to_owned();
    let inbound = stack.api.with_key(None);
    for i in 0..n {
        let body = format!("{{\"card\":\"4242-{i}\"}}");
        let r = inbound
            .raw(
                "POST",
                &path,
                Some(body.into_bytes().into()),
                &[("x-token", "t0ken")],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let db = stack.db().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done: i64 = db
            .query_one(
                "SELECT count(*) FROM gw_events WHERE status = 'SUCCESSFUL'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if done as usize == n {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {n} gateway events delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let changed = db
        .execute("UPDATE gw_attempts SET body = 'receiver said ' || id", &[])
        .await
        .unwrap();
    assert_eq!(changed as usize, n, "one attempt per request");
    db.query("SELECT id FROM gw_requests ORDER BY created_at, id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Moves requests, their events and attempts `days` into the past.
async fn age(db: &hookd_db::Client, ids: &[Uuid], days: i32) {
    for sql in [
        "UPDATE gw_requests SET created_at = created_at - make_interval(days => $2)
         WHERE id = ANY($1)",
        "UPDATE gw_events SET created_at = created_at - make_interval(days => $2)
         WHERE request_id = ANY($1)",
        "UPDATE gw_attempts SET created_at = created_at - make_interval(days => $2)
         WHERE event_id IN (SELECT id FROM gw_events WHERE request_id = ANY($1))",
    ] {
        db.execute(sql, &[&ids, &days]).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_requests_lose_their_payload_then_their_rows_and_nothing_newer_is_touched() {
    let stack = TestStack::spawn_with(|s| {
        s.retention.payload_days = 30;
        s.retention.metadata_days = 90;
        s.retention.interval = Duration::from_secs(3600);
        s.retention.batch_size = 2;
    })
    .await;
    let ids = delivered_requests(&stack, 6).await;
    let db = stack.db().await;
    let (old, ancient, fresh) = (&ids[..3], ids[3], &ids[4..]);
    age(&db, old, 31).await;
    age(&db, &[ancient], 100).await;
    let mut kept = Vec::new();
    for id in fresh {
        kept.push(stored(&db, *id).await.unwrap());
    }
    assert!(
        kept[0].data.to_string().contains("t0ken"),
        "{:?}",
        kept[0].data
    );
    let counts = stack.row_counts().await;

    let metrics = RetentionMetrics::register(&hookd_telemetry::prometheus::Registry::new());
    let pool = hookd_db::connect(stack.settings.database.url.expose(), 2).unwrap();
    let mut passes = 0;
    while pass(&pool, &stack.settings.retention, &metrics)
        .await
        .unwrap()
    {
        passes += 1;
        assert!(passes < 50, "retention passes never finished");
    }
    assert!(
        passes >= 1,
        "3 requests in batches of 2 take more than one pass"
    );

    for id in old {
        let s = stored(&db, *id).await.unwrap();
        assert!(s.expunged, "{id}");
        assert!(s.body.is_empty(), "{id}: {s:?}");
        assert_eq!(s.data, json!({"path": kept[0].data["path"]}), "{id}");
        assert!(s.attempt_bodies.iter().all(Option::is_none), "{id}: {s:?}");
        assert_eq!(s.events, 1, "the event's record stays");
    }
    assert!(
        stored(&db, ancient).await.is_none(),
        "past the metadata retention"
    );
    let orphans: i64 = db
        .query_one(
            "SELECT (SELECT count(*) FROM gw_events WHERE request_id = $1)
                  + (SELECT count(*) FROM gw_attempts a
                     WHERE NOT EXISTS (SELECT 1 FROM gw_events e WHERE e.id = a.event_id))",
            &[&ancient],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(orphans, 0);
    for (id, before) in fresh.iter().zip(&kept) {
        assert_eq!(&stored(&db, *id).await.unwrap(), before, "{id}");
    }
    let left: i64 = db
        .query_one(
            "SELECT count(*) FROM gw_requests r WHERE r.created_at < now() - interval '30 days'
               AND (r.expunged_at IS NULL OR length(r.body) > 0 OR r.data::text LIKE '%t0ken%'
                    OR EXISTS (SELECT 1 FROM gw_attempts a JOIN gw_events e ON e.id = a.event_id
                               WHERE e.request_id = r.id AND a.body IS NOT NULL))",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "a gateway payload outlived its retention");
    let after = stack.row_counts().await;
    for table in ["gw_requests", "gw_events", "gw_attempts"] {
        assert_eq!(after[table], counts[table] - 1, "{table}");
    }
    stack
        .assert_rows_unchanged(
            &counts,
            &[
                "gw_requests",
                "gw_events",
                "gw_attempts",
                "retention_cursors",
            ],
            "gateway retention",
        )
        .await;
    assert_eq!(metrics.gw_requests_expunged.get(), 3);
    assert_eq!(metrics.gw_attempt_bodies_expunged.get(), 3);
    let deleted = |t: &str| metrics.rows_deleted.with_label_values(&[t]).get();
    assert_eq!(
        (
            deleted("gw_requests"),
            deleted("gw_events"),
            deleted("gw_attempts")
        ),
        (1, 1, 1)
    );
    stack.stop().await;
}
