//! `DELETE /api/v1/organizations/{id}`: its keys are refused at once, and afterwards no table
//! holds a row of it, while the other organization keeps every row.

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::ApiClient;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Ids of an organization's rows in tables that have neither `organization_id` nor `app_id`.
#[derive(Default)]
struct Known {
    apps: Vec<Uuid>,
    messages: Vec<Uuid>,
    requests: Vec<Uuid>,
    subscriptions: Vec<Uuid>,
    links: Vec<Uuid>,
    key_hashes: Vec<Vec<u8>>,
}

/// Tables of the whole installation, holding nothing of one organization: versions, and the
/// routers' tombstones of deleted endpoints (an endpoint id and a version, pruned after a day;
/// routers need them to drop the endpoints from their views).
const GLOBAL: &[&str] = &[
    "routing_version",
    "gw_routing_version",
    "routing_tombstones",
    "schema_migrations",
];

type Param<'a> = &'a (dyn hookd_db::tokio_postgres::types::ToSql + Sync);

async fn uuids(db: &hookd_db::Client, sql: &str, org: Uuid) -> Vec<Uuid> {
    db.query(sql, &[&org])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn known(db: &hookd_db::Client, org: Uuid) -> Known {
    Known {
        apps: uuids(db, "SELECT id FROM apps WHERE organization_id = $1", org).await,
        messages: uuids(
            db,
            "SELECT m.id FROM messages m JOIN apps a ON a.id = m.app_id
             WHERE a.organization_id = $1",
            org,
        )
        .await,
        requests: uuids(
            db,
            "SELECT id FROM gw_requests WHERE organization_id = $1",
            org,
        )
        .await,
        subscriptions: uuids(
            db,
            "SELECT s.id FROM subscriptions s JOIN apps a ON a.id = s.app_id
             WHERE a.organization_id = $1",
            org,
        )
        .await,
        links: uuids(
            db,
            "SELECT l.id FROM portal_links l JOIN subscriptions s ON s.id = l.subscription_id
             JOIN apps a ON a.id = s.app_id WHERE a.organization_id = $1",
            org,
        )
        .await,
        key_hashes: db
            .query(
                "SELECT key_hash FROM api_keys WHERE organization_id = $1",
                &[&org],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect(),
    }
}

async fn count(db: &hookd_db::Client, sql: &str, p: Param<'_>) -> i64 {
    db.query_one(sql, &[p]).await.unwrap().get(0)
}

/// The organization's rows in every table of the database: by `organization_id`, by `app_id`,
/// or by the ids it had; a table none of these reaches fails the test, so a new table cannot
/// be forgotten.
async fn rows_of(db: &hookd_db::Client, org: Uuid, k: &Known) -> BTreeMap<String, i64> {
    let tables: Vec<String> = db
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut rows = BTreeMap::new();
    for t in tables {
        if GLOBAL.contains(&t.as_str()) {
            continue;
        }
        let cols: Vec<String> = db
            .query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name = $1",
                &[&t],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let has = |c: &str| cols.iter().any(|x| x == c);
        let (column, p): (&str, Param<'_>) = if t == "organizations" {
            ("id", &org)
        } else if has("organization_id") {
            ("organization_id", &org)
        } else if has("app_id") {
            ("app_id", &k.apps)
        } else if t == "attempts" {
            ("message_id", &k.messages)
        } else if t == "gw_ignored_events" {
            ("request_id", &k.requests)
        } else if t == "portal_links" {
            ("subscription_id", &k.subscriptions)
        } else if t == "portal_sessions" {
            ("link_id", &k.links)
        } else if t == "console_sessions" {
            ("key_hash", &k.key_hashes)
        } else {
            panic!("table {t} is not checked for an organization's rows: add it here")
        };
        // One id, or any of a list.
        let test = if ["id", "organization_id"].contains(&column) {
            format!("{column} = $1")
        } else {
            format!("{column} = ANY($1)")
        };
        let n = count(db, &format!("SELECT count(*) FROM {t} WHERE {test}"), p).await;
        rows.insert(t, n);
    }
    rows
}

async fn wait_db(db: &hookd_db::Client, what: &str, sql: &str, p: &[Param<'_>], want: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n: i64 = db.query_one(sql, p).await.unwrap().get(0);
        if n == want {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {n}, not {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn created_with(r: hookd_testkit::ApiResponse, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.text);
    r.body
}

/// One of every resource of the organization of `b`, messages delivered, a gateway request
/// routed.
async fn populate(stack: &TestStack, b: &ApiClient, org: Uuid) {
    let body = json!({"name": "doomed"}).to_string();
    let app = created_with(
        b.raw(
            "POST",
            "/api/v1/apps",
            Some(body.into()),
            &[("idempotency-key", "k1")],
        )
        .await,
        201,
    );
    let app_id = app["id"].as_str().unwrap();
    let sub_id = subscribed(b, app_id).await;
    let endpoint = created(
        b.post(
            &format!("/api/v1/subscriptions/{sub_id}/endpoints"),
            &json!({"url": stack.receiver.url("/doomed"), "event_types": ["user.created"]}),
        )
        .await,
    );
    let endpoint_id: Uuid = endpoint["id"].as_str().unwrap().parse().unwrap();
    stack.wait_view(|v| v.endpoint(endpoint_id).is_some()).await;
    for n in 0..3 {
        let r = b
            .post(
                &format!("/api/v1/apps/{app_id}/messages"),
                &json!({"event_type": "user.created", "data": {"n": n}}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    created(
        b.post(
            &format!("/api/v1/apps/{app_id}/tasks"),
            &json!({"event_type": "user.created", "data": {},
                    "scheduled_run_time": "2099-01-01T00:00:00Z"}),
        )
        .await,
    );
    created(
        b.post(
            &format!("/api/v1/subscriptions/{sub_id}/portal_access"),
            &json!({}),
        )
        .await,
    );
    assert_eq!(b.get("/api/v1/gateway/signing_secret").await.status, 200);
    let c = b
        .raw(
            "POST",
            "/2024-03-01/connections",
            Some(
                json!({"name": "c", "source": {"name": "c-src"},
                       "destination": {"name": "c-dst", "url": stack.receiver.url("/gw")}})
                .to_string()
                .into(),
            ),
            &[],
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let source_url = c.body["source"]["url"].as_str().unwrap();
    let path = source_url.strip_prefix(&stack.base).unwrap();
    let r = stack
        .api
        .with_key(None)
        .raw("POST", path, Some(b"{\"x\":1}".to_vec().into()), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let db = stack.db().await;
    wait_db(
        &db,
        "delivered messages",
        "SELECT count(*) FROM deliveries d JOIN apps a ON a.id = d.app_id
         WHERE a.organization_id = $1 AND d.status = 'succeeded'",
        &[&org],
        3,
    )
    .await;
    wait_db(
        &db,
        "gateway events delivered",
        "SELECT count(*) FROM gw_events WHERE organization_id = $1 AND status = 'SUCCESSFUL'",
        &[&org],
        1,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_organization_refuses_its_keys_at_once_and_leaves_no_row_of_it() {
    let stack = TestStack::spawn_with(|s| s.retention.batch_size = 2).await;
    // The organization that stays: the admin's.
    let (_, kept) = delivered(&stack, 2).await;
    let admin_org: Uuid = stack
        .db()
        .await
        .query_one("SELECT organization_id FROM apps LIMIT 1", &[])
        .await
        .unwrap()
        .get(0);

    let (org_id, b) = new_org(&stack, "doomed").await;
    let second = created(b.post("/api/v1/api_keys", &json!({"name": "ci"})).await);
    let b2 = stack.api.with_key(second["key"].as_str());
    populate(&stack, &b, org_id).await;
    // Both keys work (and are cached) before.
    assert_eq!(b.get("/api/v1/apps").await.status, 200);
    assert_eq!(b2.get("/api/v1/apps").await.status, 200);

    let db = stack.db().await;
    let k = known(&db, org_id).await;
    let before = rows_of(&db, org_id, &k).await;
    for table in [
        "organizations",
        "api_keys",
        "apps",
        "event_types",
        "subscriptions",
        "endpoints",
        "messages",
        "deliveries",
        "attempts",
        "tasks",
        "portal_links",
        "idempotency_keys",
        "gw_sources",
        "gw_destinations",
        "gw_connections",
        "gw_requests",
        "gw_events",
        "gw_attempts",
        "gw_signing_secrets",
    ] {
        assert!(
            before[table] > 0,
            "nothing of the organization in {table}: {before:?}"
        );
    }
    let admin_known = known(&db, admin_org).await;
    let admin_before = rows_of(&db, admin_org, &admin_known).await;
    let kept_before = stored(&stack, kept[0]).await.unwrap();

    // Only the admin key deletes organizations, and not its own.
    assert_error(
        &b.delete(&format!("/api/v1/organizations/{org_id}")).await,
        403,
    );
    assert_error(
        &stack
            .api
            .delete(&format!("/api/v1/organizations/{admin_org}"))
            .await,
        422,
    );
    assert_error(
        &stack
            .api
            .delete(&format!("/api/v1/organizations/{}", Uuid::new_v4()))
            .await,
        404,
    );

    let r = stack
        .api
        .delete(&format!("/api/v1/organizations/{org_id}"))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(r.body["deleting_at"].is_string(), "{}", r.text);
    // Refused at once, whatever the caches held.
    assert_error(&b.get("/api/v1/apps").await, 401);
    assert_error(&b2.get("/api/v1/apps").await, 401);

    wait_db(
        &db,
        "the organization's row",
        "SELECT count(*) FROM organizations WHERE id = $1",
        &[&org_id],
        0,
    )
    .await;
    let after = rows_of(&db, org_id, &k).await;
    let left: Vec<_> = after.iter().filter(|(_, n)| **n > 0).collect();
    assert!(
        left.is_empty(),
        "rows of the deleted organization left: {left:?}"
    );
    assert_eq!(after.len(), before.len());
    assert_error(&b.get("/api/v1/apps").await, 401);
    assert_error(
        &stack
            .api
            .get(&format!("/api/v1/organizations/{org_id}"))
            .await,
        404,
    );

    // The other organization lost nothing.
    assert_eq!(rows_of(&db, admin_org, &admin_known).await, admin_before);
    assert_eq!(stored(&stack, kept[0]).await.unwrap(), kept_before);
    assert_eq!(stack.api.get("/api/v1/apps").await.status, 200);
    stack.stop().await;
}
