//! A task starts exactly once: schedulers racing over the same rows, a cancel racing a claim,
//! a scheduler killed mid-batch and restarted, a publish lost after the commit.

use crate::helpers::*;
use crate::support::*;
use chrono::{Duration as Span, Utc};
use hookd_db::tasks::claim_due;
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Makes `ids` due inside `tx` (invisible to other schedulers until it commits), then claims.
async fn claim_now(tx: &hookd_db::Transaction<'_>, ids: &[Uuid]) -> Vec<hookd_db::tasks::Claimed> {
    tx.execute(
        "UPDATE tasks SET scheduled_run_time = now() - interval '1 second' WHERE id = ANY($1)",
        &[&ids],
    )
    .await
    .expect("make due");
    claim_due(tx, 100).await.expect("claim")
}

/// A router beside the stack's: its stop signal, its run, and the port of its `/metrics`.
type Replica = (CancellationToken, tokio::task::JoinHandle<()>, u16);

/// A second router on the stack's settings: another replica, or the restarted scheduler.
async fn spawn_router(settings: &hookd_config::Settings) -> Replica {
    let router = hookd_router::Router::build(settings.clone())
        .await
        .expect("router");
    let port = router.port();
    let token = CancellationToken::new();
    let handle = tokio::spawn({
        let token = token.clone();
        async move {
            router.run_until_stopped(token).await.expect("router ran");
        }
    });
    (token, handle, port)
}

async fn stop_router((token, handle, _): Replica) {
    token.cancel();
    tokio::time::timeout(Duration::from_secs(20), handle)
        .await
        .expect("router stopped")
        .expect("router task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_take_each_due_task_exactly_once() {
    let db = BareDb::new().await;

    // Held locks: a claim in progress hides its rows from the others, whatever they ask for.
    let ids: HashSet<Uuid> = db.due_tasks(20).await.into_iter().collect();
    let mut a = db.pool.get().await.unwrap();
    let mut b = db.pool.get().await.unwrap();
    let mut c = db.pool.get().await.unwrap();
    let ta = a.transaction().await.unwrap();
    let first = claim_due(&ta, 10).await.unwrap();
    assert_eq!(first.len(), 10);
    let tb = b.transaction().await.unwrap();
    let second = claim_due(&tb, 100).await.unwrap();
    assert_eq!(second.len(), 10, "the second scheduler takes the rest");
    let tc = c.transaction().await.unwrap();
    assert!(
        claim_due(&tc, 100).await.unwrap().is_empty(),
        "nothing left for a third"
    );
    tc.rollback().await.unwrap();
    ta.commit().await.unwrap();
    tb.commit().await.unwrap();
    let mut taken: Vec<Uuid> = first.iter().chain(&second).map(|c| c.task_id).collect();
    taken.sort();
    taken.dedup();
    assert_eq!(taken.len(), 20);
    assert_eq!(taken.into_iter().collect::<HashSet<_>>(), ids);
    drop((a, b, c));

    // Two schedulers looping over many due tasks at once, in small batches.
    let many: HashSet<Uuid> = db.due_tasks(400).await.into_iter().collect();
    let claimer = |pool: hookd_db::Pool| async move {
        let mut client = pool.get().await.unwrap();
        let mut mine = Vec::new();
        loop {
            let tx = client.transaction().await.unwrap();
            let claimed = claim_due(&tx, 7).await.unwrap();
            tx.commit().await.unwrap();
            if claimed.is_empty() {
                return mine;
            }
            mine.extend(claimed);
        }
    };
    let (x, y) = tokio::join!(
        tokio::spawn(claimer(db.pool.clone())),
        tokio::spawn(claimer(db.pool.clone()))
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    let all: Vec<Uuid> = x.iter().chain(&y).map(|c| c.task_id).collect();
    let distinct: HashSet<Uuid> = all.iter().copied().collect();
    assert_eq!(all.len(), distinct.len(), "a task was claimed twice");
    assert_eq!(distinct, many, "a due task was not claimed");

    // Each claim stored exactly one message for its task, unrouted, version 1.0, its data.
    let client = db.pool.get().await.unwrap();
    let rows = client
        .query(
            "SELECT t.id, t.status, t.data = m.data, m.version,
                EXISTS (SELECT 1 FROM message_outbox o WHERE o.id = m.id),
                (SELECT count(*) FROM messages x WHERE x.task_id = t.id)
             FROM tasks t JOIN messages m ON m.id = t.message_id AND m.task_id = t.id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 420);
    for r in &rows {
        assert_eq!(r.get::<_, Option<String>>(1).as_deref(), Some("running"));
        assert!(r.get::<_, bool>(2), "message data differs from the task's");
        assert_eq!(r.get::<_, String>(3), "1.0");
        assert!(r.get::<_, bool>(4), "the message must wait for the router");
        assert_eq!(
            r.get::<_, i64>(5),
            1,
            "task {} has several messages",
            r.get::<_, Uuid>(0)
        );
    }
    for claimed in x.iter().chain(&y) {
        assert_eq!(claimed.app_id, db.app_id);
        assert_eq!(claimed.message.event_type, "user.created");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_routers_start_each_task_once() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/pair", json!({"version": "1.0"})).await;
    let second = spawn_router(&stack.settings).await;
    let started = |port: u16| async move {
        hookd_testkit::metric_sum(
            &hookd_testkit::scrape(port).await,
            "hookd_router_tasks_started_total",
        )
    };
    // Waves of tasks all due at one instant, so both schedulers find them in the same passes,
    // until each replica has started some: which one wins a pass is the race's, and a proof
    // of "two schedulers" where one did nothing would prove nothing.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut ids = Vec::new();
    loop {
        let at = iso(Utc::now() + Span::milliseconds(1200));
        let wave = ids.len();
        for n in wave as i64..wave as i64 + 40 {
            let t = create_task(
                &stack,
                &f,
                json!({"event_type": "user.created", "data": {"n": n}, "scheduled_run_time": at}),
            )
            .await;
            ids.push((n, id_of(&t)));
        }
        for (_, id) in &ids[wave..] {
            task_until(&stack, *id, |t| t["status"] == "completed").await;
        }
        let (one, two) = (started(stack.router_port).await, started(second.2).await);
        assert_eq!(
            one + two,
            ids.len() as f64,
            "the replicas started {one} + {two} tasks of {}",
            ids.len()
        );
        if one > 0.0 && two > 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after {} tasks a replica has started none ({one} and {two})",
            ids.len()
        );
    }
    let db = stack.db().await;
    for (n, id) in &ids {
        assert_eq!(messages_of(&db, *id).await, 1, "task {n}");
        assert_eq!(received_n(&stack, "/pair", *n), 1, "task {n}");
    }
    assert_eq!(stack.receiver.received_at("/pair").len(), ids.len());
    stop_router(second).await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scheduler_killed_mid_batch_loses_and_repeats_nothing() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack
        .endpoint(&f, "/killed", json!({"version": "1.0"}))
        .await;
    let later = iso(Utc::now() + Span::hours(1));
    let mut ids = Vec::new();
    for n in 0..20 {
        let t = create_task(
            &stack,
            &f,
            json!({"event_type": "user.created", "data": {"n": n}, "scheduled_run_time": later}),
        )
        .await;
        ids.push(id_of(&t));
    }

    // A scheduler claims the batch: messages stored, tasks running, all uncommitted...
    let pool = hookd_db::connect(stack.settings.database.url.expose(), 1).unwrap();
    let mut client = pool.get().await.unwrap();
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let tx = client.transaction().await.unwrap();
    let claimed = claim_now(&tx, &ids).await;
    assert_eq!(
        claimed.iter().map(|c| c.task_id).collect::<HashSet<_>>(),
        ids.iter().copied().collect::<HashSet<_>>()
    );
    let inside: i64 = tx
        .query_one(
            "SELECT count(*) FROM messages WHERE task_id = ANY($1)",
            &[&ids],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(inside, 20);

    // ...and its process dies before the commit: the server ends its session.
    let observer = stack.db().await;
    let killed: bool = observer
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert!(killed);
    let deadline = Instant::now() + Duration::from_secs(10);
    while observer
        .query_opt("SELECT 1 FROM pg_stat_activity WHERE pid = $1", &[&pid])
        .await
        .unwrap()
        .is_some()
    {
        assert!(Instant::now() < deadline, "the killed session lingers");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(tx);
    drop(client);
    drop(pool);

    // Nothing of the batch survived: every task waits as before, without a message.
    for id in &ids {
        assert_eq!(messages_of(&observer, *id).await, 0);
        let t = stack.api.get(&format!("/api/v1/tasks/{id}")).await;
        assert_eq!(t.body["status"], serde_json::Value::Null, "{}", t.text);
    }

    // Restarted (a new router beside the stack's), the tasks come due and each runs once.
    let restarted = spawn_router(&stack.settings).await;
    observer
        .execute(
            "UPDATE tasks SET scheduled_run_time = now() WHERE id = ANY($1)",
            &[&ids],
        )
        .await
        .unwrap();
    for id in &ids {
        task_until(&stack, *id, |t| t["status"] == "completed").await;
        assert_eq!(messages_of(&observer, *id).await, 1);
    }
    for n in 0..20 {
        assert_eq!(received_n(&stack, "/killed", n), 1, "task {n}");
    }
    stop_router(restarted).await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_waits_for_a_claim_in_progress_and_a_lost_publish_is_relayed() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/lost", json!({"version": "1.0"})).await;
    let later = iso(Utc::now() + Span::hours(1));
    let task = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"n": 1}, "scheduled_run_time": later}),
    )
    .await;
    let id = id_of(&task);

    let pool = hookd_db::connect(stack.settings.database.url.expose(), 1).unwrap();
    let mut client = pool.get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let claimed = claim_now(&tx, &[id]).await;
    assert_eq!(claimed.len(), 1);

    // The cancel arrives while the claim is uncommitted: it waits on the row.
    let cancel = tokio::spawn({
        let api = stack.api.clone();
        async move { api.delete(&format!("/api/v1/tasks/{id}")).await }
    });
    let observer = stack.db().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: i64 = observer
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cancel never waited on the claim"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!cancel.is_finished());
    tx.commit().await.unwrap();
    let r = cancel.await.unwrap();
    assert_error(&r, 409);
    assert_eq!(r.body["data"]["status"], "running");

    // The scheduler never published (as if it died right after its commit): the relay finds
    // the unrouted message and the task still runs, once.
    let done = task_until(&stack, id, |t| t["status"] == "completed").await;
    assert!(!done["endpoint_id"].is_null());
    let got = stack.receiver.received_at("/lost");
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].header("webhook-id"),
        Some(claimed[0].message.id.to_string().as_str())
    );
    assert_eq!(messages_of(&observer, id).await, 1);

    // The other order: a cancel that commits first leaves nothing to claim.
    let other = create_task(
        &stack,
        &f,
        json!({"event_type": "user.created", "data": {"n": 2}, "scheduled_run_time": later}),
    )
    .await;
    let other_id = id_of(&other);
    assert_eq!(
        stack
            .api
            .delete(&format!("/api/v1/tasks/{other_id}"))
            .await
            .status,
        200
    );
    let tx = client.transaction().await.unwrap();
    assert!(claim_now(&tx, &[other_id]).await.is_empty());
    tx.rollback().await.unwrap();
    assert_eq!(messages_of(&observer, other_id).await, 0);
    stack.stop().await;
}
