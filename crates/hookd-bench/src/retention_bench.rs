//! S2R (issue 17): S2's load (same rate, same duration, one endpoint) while the router's
//! retention pass works through a backlog of expired messages seeded in SQL: rows expunged per
//! second, and S2's e2e p99 with the pass running against S2's own in the same run.

use crate::receiver::Behavior;
use crate::run::{self, Entry, Scenario};
use crate::scenarios::{specs, target, totals, Suite};
use crate::stats::round3;
use anyhow::{Context, Result};
use serde_json::{json, Value};

/// Expired messages seeded before the load: more than the pass can expunge during it.
fn backlog(quick: bool) -> i64 {
    if quick {
        150_000
    } else {
        600_000
    }
}

/// Messages 40 days old (past the default 30 days of payload retention) in the scenario's app,
/// each with a delivery to its endpoint and an attempt with a response body.
fn seed_sql(n: i64) -> String {
    format!(
        "CREATE TEMP TABLE seed AS
            SELECT gen_random_uuid() AS id, a.id AS app_id, e.id AS endpoint_id,
                gen_random_uuid() AS delivery_id,
                now() - interval '40 days' + g * interval '1 ms' AS at,
                g AS n
            FROM generate_series(1, {n}) g,
                (SELECT id FROM apps ORDER BY created_at DESC LIMIT 1) a,
                LATERAL (SELECT id FROM endpoints WHERE app_id = a.id LIMIT 1) e;
         INSERT INTO messages (id, app_id, event_type, version, data, created_at)
            SELECT id, app_id, '{et}', '1.0',
                jsonb_build_object('seq', -n, 'pad', repeat('x', 256)), at FROM seed;
         INSERT INTO deliveries (id, message_id, endpoint_id, app_id, event_type, status,
                attempt_count, created_at, updated_at)
            SELECT delivery_id, id, endpoint_id, app_id, '{et}', 'succeeded', 1, at, at FROM seed;
         INSERT INTO attempts (id, delivery_id, message_id, endpoint_id, attempt,
                response_status, response_body, duration_ms, created_at)
            SELECT gen_random_uuid(), delivery_id, id, endpoint_id, 1, 200,
                'ok ' || n, 3, at FROM seed;
         DROP TABLE seed;
         -- The pass keeps a keyset cursor per app and has already moved it up to the cutoff
         -- (nothing was due when the app was made); rows inserted behind it now stand for a
         -- backlog that predates the cursor, so the cursor goes back to the start.
         DELETE FROM retention_cursors;
         ANALYZE messages; ANALYZE deliveries; ANALYZE attempts;
         -- The seed's own WAL is flushed now, not by a checkpoint during the measured load.
         CHECKPOINT;",
        et = crate::setup::EVENT_TYPE,
    )
}

/// What the pass did, read from the rows it changed: how many, and over how long.
const PROBE_SQL: &str = "SELECT json_build_object(
        'expunged', count(*),
        'seconds', EXTRACT(EPOCH FROM max(expunged_at) - min(expunged_at)),
        'left', (SELECT count(*) FROM messages
                 WHERE expunged_at IS NULL AND created_at < now() - interval '30 days'))::text
    FROM messages WHERE expunged_at IS NOT NULL";

/// Runs `sql` on the scenario's database.
pub async fn execute(database_url: &str, sql: &str) -> Result<()> {
    let pool = hookd_db::connect(database_url, 1).context("bench database")?;
    let client = pool.get().await.context("bench database")?;
    client.batch_execute(sql).await.context("seed")?;
    Ok(())
}

/// The first column of `sql`'s one row, as JSON text.
pub async fn probe(database_url: &str, sql: &str) -> Result<Value> {
    let pool = hookd_db::connect(database_url, 1).context("bench database")?;
    let client = pool.get().await.context("bench database")?;
    let text: String = client.query_one(sql, &[]).await?.get(0);
    Ok(serde_json::from_str(&text)?)
}

pub async fn s2r(suite: &mut Suite) -> Result<Value> {
    let p = &suite.plan;
    let load = suite.open(p.s2_rate, p.s2_duration);
    let specs = specs(1, load.count(), |_| Behavior::Ok);
    let seeded = backlog(p.quick);
    let seed = seed_sql(seeded);
    // The pass starts within a second of the seed and goes on at once while batches are full.
    let env = [("HOOKD__RETENTION__INTERVAL".to_owned(), "1s".to_owned())];
    let run = Scenario {
        name: "S2R",
        entry: Entry::Messages,
        specs: &specs,
        env: &env,
        awaited: &[0],
        endpoint_filter: None,
        seed_sql: Some(&seed),
        probe_sql: Some(PROBE_SQL),
        fifo: &[],
        key_values: None,
    };
    let m = run::against(&suite.cfg, p, &run, load).await?;
    let t = totals(&m.endpoints_where(|_| true));
    let mut out = suite.common(
        "S2R",
        format!(
            "S2 ({} msg/s for {} s, 1 endpoint) while retention expunges a backlog of {seeded} expired messages",
            p.s2_rate,
            p.s2_duration.as_secs()
        ),
        &m,
    );
    t.insert_into(&mut out, &t.e2e);
    let probe = m.probe.clone().unwrap_or(Value::Null);
    let expunged = probe["expunged"].as_f64().unwrap_or(0.0);
    let seconds = probe["seconds"].as_f64().unwrap_or(0.0);
    let rate = if seconds > 0.0 {
        round3(expunged / seconds)
    } else {
        0.0
    };
    out.insert("backlog_seeded".into(), json!(seeded));
    out.insert("rows_expunged".into(), json!(expunged));
    out.insert("backlog_left".into(), probe["left"].clone());
    out.insert("expunged_per_s".into(), json!(rate));
    let s2 = suite.s2_p99_ms;
    out.insert("s2_e2e_p99_ms".into(), json!(s2));
    let vs = s2.filter(|s| *s > 0.0).map(|s| round3(t.e2e.p99_ms / s));
    out.insert("e2e_p99_vs_s2".into(), json!(vs));
    let mut targets = vec![target(
        "S2R missing = 0",
        t.missing as f64,
        0.0,
        t.missing == 0,
    )];
    if let Some(s2) = s2 {
        targets.push(target(
            "S2R e2e p99 <= 1.1 x S2's (retention running)",
            t.e2e.p99_ms,
            round3(1.1 * s2),
            t.e2e.p99_ms <= 1.1 * s2,
        ));
    }
    out.insert("targets".into(), json!(targets));
    Ok(Value::Object(out))
}
