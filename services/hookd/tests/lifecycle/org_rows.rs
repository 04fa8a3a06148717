//! An organization's rows in every table of the database, found by `organization_id`, by
//! `app_id`, or by the ids it had: what "no row of it is left" is checked against.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Ids of an organization's rows in tables that have neither `organization_id` nor `app_id`.
#[derive(Default)]
pub struct Known {
    apps: Vec<Uuid>,
    messages: Vec<Uuid>,
    requests: Vec<Uuid>,
    subscriptions: Vec<Uuid>,
    links: Vec<Uuid>,
    key_hashes: Vec<Vec<u8>>,
}

/// Tables of the whole installation, holding nothing of one organization: versions, the
/// routers' tombstones of deleted endpoints (an endpoint id and a version, pruned after a day;
/// routers need them to drop the endpoints from their views), and the tombstones of deleted
/// apps and endpoints (a kind and an id, swept within minutes with any late child: 0025).
const GLOBAL: &[&str] = &[
    "routing_version",
    "gw_routing_version",
    "routing_tombstones",
    "deleted_parents",
    "schema_migrations",
];

pub type Param<'a> = &'a (dyn hookd_db::tokio_postgres::types::ToSql + Sync);

async fn uuids(db: &hookd_db::Client, sql: &str, org: Uuid) -> Vec<Uuid> {
    db.query(sql, &[&org])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

pub async fn known(db: &hookd_db::Client, org: Uuid) -> Known {
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
pub async fn rows_of(db: &hookd_db::Client, org: Uuid, k: &Known) -> BTreeMap<String, i64> {
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
        } else if t == "gw_request_outbox" {
            ("id", &k.requests)
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
        let test = if t == "organizations" || column == "organization_id" {
            format!("{column} = $1")
        } else {
            format!("{column} = ANY($1)")
        };
        let n = count(db, &format!("SELECT count(*) FROM {t} WHERE {test}"), p).await;
        rows.insert(t, n);
    }
    rows
}

pub async fn wait_db(db: &hookd_db::Client, what: &str, sql: &str, p: &[Param<'_>], want: i64) {
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
