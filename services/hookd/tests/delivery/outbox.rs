use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

/// Ingest dies after its commit and before its publish: the relay sends the message anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stored_message_never_published_is_relayed() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/relayed", json!({})).await;
    let client = stack.db().await;
    let id = uuid::Uuid::now_v7();
    let app: uuid::Uuid = f.app_id.parse().unwrap();
    client
        .execute(
            "WITH m AS (
                INSERT INTO messages (id, app_id, event_type, version, data, created_at)
                VALUES ($1, $2, 'user.created', '1.0', '{\"lost\": true}',
                    now() - interval '1 minute')
                RETURNING id, app_id, created_at
             )
             INSERT INTO message_outbox SELECT * FROM m",
            &[&id, &app],
        )
        .await
        .unwrap();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |r| !r.is_empty())
            .await,
        "never relayed"
    );
    let got = stack.receiver.received_at("/relayed");
    assert_eq!(got[0].header("webhook-id"), Some(id.to_string().as_str()));
    assert_eq!(got[0].json()["data"], json!({"lost": true}));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        stack.receiver.received_at("/relayed").len(),
        1,
        "relayed more than once"
    );
    stack.stop().await;
}

/// Routing leaves the message row as ingest wrote it: the fan-out deletes its outbox row
/// instead of updating it (an update of `messages` is never HOT: a new row version and an
/// entry in each of its indexes per message).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn routing_does_not_write_the_message_row() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/once", json!({})).await;
    let client = stack.db().await;
    let id = uuid::Uuid::now_v7();
    let app: uuid::Uuid = f.app_id.parse().unwrap();
    // Stored as ingest stores it, its row version noted; the relay routes it after 2 s.
    let stored = client
        .query_one(
            "WITH m AS (
                INSERT INTO messages (id, app_id, event_type, version, data, created_at)
                VALUES ($1, $2, 'user.created', '1.0', '{}', now())
                RETURNING id, app_id, created_at, xmin::text AS x, ctid::text AS c
             ), o AS (
                INSERT INTO message_outbox SELECT id, app_id, created_at FROM m
             )
             SELECT x, c FROM m",
            &[&id, &app],
        )
        .await
        .unwrap();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |r| !r.is_empty())
            .await,
        "never routed"
    );
    let now = client
        .query_one(
            "SELECT m.xmin::text, m.ctid::text,
                (SELECT count(*) FROM deliveries d WHERE d.message_id = m.id),
                EXISTS (SELECT 1 FROM message_outbox o WHERE o.id = m.id)
             FROM messages m WHERE m.id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(now.get::<_, i64>(2), 1, "routed without its delivery");
    assert!(!now.get::<_, bool>(3), "routed but still in the outbox");
    assert_eq!(
        (now.get::<_, String>(0), now.get::<_, String>(1)),
        (stored.get::<_, String>(0), stored.get::<_, String>(1)),
        "routing wrote a new version of the message row"
    );
    stack.stop().await;
}

/// An unrouted message that is deleted (retention, its app deleted) takes its outbox row with
/// it: left behind, the row would hold back every fifo lane of its app for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_message_leaves_no_outbox_row() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let client = stack.db().await;
    let app: uuid::Uuid = f.app_id.parse().unwrap();
    let in_outbox = |id: uuid::Uuid| {
        let client = &client;
        async move {
            client
                .query_one("SELECT count(*) FROM message_outbox WHERE id = $1", &[&id])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    let store = |id: uuid::Uuid| {
        let client = &client;
        async move {
            client
                .execute(
                    "WITH m AS (
                        INSERT INTO messages (id, app_id, event_type, version, data, created_at)
                        VALUES ($1, $2, 'user.created', '1.0', '{}', now())
                        RETURNING id, app_id, created_at
                     )
                     INSERT INTO message_outbox SELECT id, app_id, created_at FROM m",
                    &[&id, &app],
                )
                .await
                .unwrap();
        }
    };
    // Deleted on its own, as retention deletes.
    let (one, two) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    store(one).await;
    assert_eq!(in_outbox(one).await, 1, "stored without its outbox row");
    client
        .execute("DELETE FROM messages WHERE id = $1", &[&one])
        .await
        .unwrap();
    assert_eq!(
        in_outbox(one).await,
        0,
        "the deleted message's outbox row stayed"
    );
    // Deleted with its app (the cascade from apps).
    store(two).await;
    assert_eq!(in_outbox(two).await, 1);
    client
        .execute("DELETE FROM apps WHERE id = $1", &[&app])
        .await
        .unwrap();
    assert_eq!(
        in_outbox(two).await,
        0,
        "the deleted app's outbox row stayed"
    );
    stack.stop().await;
}

/// A job lost after its delivery was recorded (router or broker crashed) is sent again when
/// its lease runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_job_is_sent_again_when_its_lease_runs_out() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let e = stack.endpoint(&f, "/leased", json!({})).await;
    let client = stack.db().await;
    let (message, delivery) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let app: uuid::Uuid = f.app_id.parse().unwrap();
    let endpoint: uuid::Uuid = e["id"].as_str().unwrap().parse().unwrap();
    client
        .execute(
            "INSERT INTO messages (id, app_id, event_type, version, data, created_at)
             VALUES ($1, $2, 'user.created', '1.0', '7', now())",
            &[&message, &app],
        )
        .await
        .unwrap();
    // Leased, as the router leaves it just before publishing; the lease already ran out.
    client
        .execute(
            "INSERT INTO deliveries (id, message_id, endpoint_id, app_id, event_type, queued, next_attempt_at)
             VALUES ($1, $2, $3, $4, 'user.created', true, now() - interval '1 second')",
            &[&delivery, &message, &endpoint, &app],
        )
        .await
        .unwrap();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |r| !r.is_empty())
            .await,
        "never resent"
    );
    let d = stack
        .eventually(
            &format!("/api/v1/messages/{message}/deliveries"),
            Duration::from_secs(5),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    assert_eq!(d["models"][0]["attempt_count"], 1);
    stack.stop().await;
}

/// Deleting an endpoint while a try to it is in flight loses nothing else: its attempt has
/// nowhere to go and is dropped, and the tries batched with it are recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_an_endpoint_mid_try_does_not_poison_other_records() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.receiver.set(
        "/doomed",
        hookd_testkit::Behavior::Delay(Duration::from_millis(700)),
    );
    let doomed = stack.endpoint(&f, "/doomed", json!({})).await;
    stack.endpoint(&f, "/fine", json!({})).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": 1}))
        .await
        .body;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(10), |r| r
                .iter()
                .any(|x| x.path == "/doomed"))
            .await
    );
    let r = stack
        .api
        .delete(&format!(
            "/api/v1/subscriptions/{}/endpoints/{}",
            f.subscription_id,
            doomed["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(r.status, 204);
    let mut later = Vec::new();
    for i in 0..5 {
        later.push(
            stack
                .send(&f, json!({"event_type": "user.created", "data": i}))
                .await
                .body,
        );
    }
    for msg in later.iter().chain(std::iter::once(&m)) {
        stack
            .eventually(
                &format!(
                    "/api/v1/messages/{}/deliveries",
                    msg["id"].as_str().unwrap()
                ),
                Duration::from_secs(15),
                |b| {
                    b["models"]
                        .as_array()
                        .is_some_and(|d| d.len() == 1 && d[0]["status"] == "succeeded")
                },
            )
            .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        stack.receiver.received_at("/doomed").len(),
        1,
        "the deleted endpoint was tried again"
    );
    assert_eq!(stack.receiver.received_at("/fine").len(), 6);
    stack.stop().await;
}

/// Router and delivery commit without waiting for the disk (what a crash loses there is
/// redone); ingest, whose 202 is the promise, waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_ingest_waits_for_the_disk_on_commit() {
    let settings = test_settings();
    prepare_database(&settings).await;
    let url = settings.database.url.expose();
    let show = |pool| text_of(pool, "SHOW synchronous_commit");
    assert_eq!(show(hookd_db::connect(url, 1).unwrap()).await, "on");
    assert_eq!(
        show(hookd_db::connect_relaxed(url, 1).unwrap()).await,
        "off"
    );
    cleanup(&settings);
}

/// Each service's connections carry its name in pg_stat_activity; a URL that names them wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_named_after_the_process() {
    let settings = test_settings();
    prepare_database(&settings).await;
    let url = settings.database.url.expose();
    let name = |pool| {
        text_of(
            pool,
            "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()",
        )
    };
    let process = hookd_db::process_name().expect("the test binary has a name");
    assert!(!process.is_empty());
    assert_eq!(name(hookd_db::connect(url, 1).unwrap()).await, process);
    assert_eq!(
        name(hookd_db::connect_relaxed(url, 1).unwrap()).await,
        process
    );
    let sep = if url.contains('?') { '&' } else { '?' };
    let named = format!("{url}{sep}application_name=mine");
    assert_eq!(name(hookd_db::connect(&named, 1).unwrap()).await, "mine");
    cleanup(&settings);
}

/// The one text value `sql` returns on a connection of `pool`.
async fn text_of(pool: hookd_db::Pool, sql: &str) -> String {
    let client = pool.get().await.unwrap();
    client.query_one(sql, &[]).await.unwrap().get(0)
}
