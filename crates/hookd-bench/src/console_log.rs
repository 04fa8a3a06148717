//! Scenario C: the console's message log with 100,000 messages in the app (issue 12, CONSOLE.md
//! "≤ 50 ms server time (p99) a page"). The messages, their deliveries and attempts are seeded
//! with one bulk SQL insert (sending them through the API would measure ingest, not the page);
//! then a logged-in console fetches log pages: the first page, every page of a full keyset walk
//! (the deepest included), and the first pages and walks of each filter. Server time is the
//! page's `Server-Timing: app;dur=`, client time the whole request as the bench saw it.

use crate::plan::Plan;
use crate::run::BOOTSTRAP_KEY;
use crate::setup;
use crate::stack::{Stack, StackConfig};
use crate::stats::Summary;
use anyhow::{bail, Context, Result};
use hookd_testkit::{ApiClient, ApiResponse};
use serde_json::{json, Value};
use std::time::Instant;

/// The scenario's target on every page kind together, milliseconds of server time.
const P99_TARGET_MS: f64 = 50.0;

/// One event type in ten is this one: the event-type filter's rare case.
const OTHER_TYPE: &str = "bench.other";

/// The filters measured, as the log's query string.
const FILTERS: [&str; 4] = [
    "status=failed",
    "status=pending",
    "status=succeeded",
    "event_type=bench.other",
];

/// Seeds `count` messages over the last `count` × 10 ms: each with one delivery to the endpoint
/// and one attempt; 2 % failed, 3 % pending (due in a day, so the delivery service leaves
/// them), the rest succeeded; one in ten of the other event type.
async fn seed(cfg: &StackConfig, app_id: &str, endpoint_id: &str, count: u64) -> Result<()> {
    let pool = hookd_db::connect(&cfg.database_url(), 1).context("connecting to the bench db")?;
    let client = pool.get().await.context("a bench db connection")?;
    let sql = format!(
        "BEGIN;
         CREATE TEMP TABLE seed ON COMMIT DROP AS
           SELECT gen_random_uuid() AS mid, gen_random_uuid() AS did, i,
                  now() - i * interval '10 ms' AS at,
                  CASE WHEN i % 50 = 0 THEN 'failed' WHEN i % 33 = 0 THEN 'pending'
                       ELSE 'succeeded' END AS status,
                  CASE WHEN i % 10 = 0 THEN '{OTHER_TYPE}' ELSE '{event}' END AS event_type
           FROM generate_series(1, {count}) AS i;
         INSERT INTO messages (id, app_id, event_type, version, data, created_at)
           SELECT mid, '{app_id}', event_type, '1.0', jsonb_build_object('seq', i), at
           FROM seed;
         INSERT INTO deliveries (id, message_id, endpoint_id, app_id, event_type, status,
                                 attempt_count, next_attempt_at, created_at, updated_at)
           SELECT did, mid, '{endpoint_id}', '{app_id}', event_type, status,
                  CASE WHEN status = 'pending' THEN 0 ELSE 1 END,
                  CASE WHEN status = 'pending' THEN now() + interval '1 day' END, at, at
           FROM seed;
         INSERT INTO attempts (id, delivery_id, message_id, endpoint_id, attempt,
                               response_status, response_body, duration_ms, created_at)
           SELECT gen_random_uuid(), did, mid, '{endpoint_id}', 1,
                  CASE WHEN status = 'failed' THEN 500 ELSE 200 END, 'ok', 12, at
           FROM seed WHERE status <> 'pending';
         COMMIT;",
        event = setup::EVENT_TYPE,
    );
    client
        .batch_execute(&sql)
        .await
        .context("seeding the message log")?;
    // As autovacuum would leave the tables: statistics, and a visibility map so index-only
    // scans need not visit the heap. (VACUUM runs outside a transaction, so on its own.)
    client
        .batch_execute("VACUUM ANALYZE messages")
        .await
        .context("vacuuming messages")?;
    client
        .batch_execute("VACUUM ANALYZE deliveries")
        .await
        .context("vacuuming deliveries")?;
    client
        .batch_execute("VACUUM ANALYZE attempts")
        .await
        .context("vacuuming attempts")?;
    Ok(())
}

/// Logs in to the console as a browser does; the session cookie header.
async fn login(api: &ApiClient) -> Result<String> {
    let page = api.raw("GET", "/console/login", None, &[]).await;
    let csrf = cookie(&page, "hookd_console_csrf").context("no login CSRF cookie")?;
    let body = format!("csrf_token={csrf}&api_key={BOOTSTRAP_KEY}");
    let r = api
        .raw(
            "POST",
            "/console/login",
            Some(body.into()),
            &[
                ("cookie", &format!("hookd_console_csrf={csrf}")),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
        )
        .await;
    if r.status != 303 {
        bail!("console login: HTTP {}: {}", r.status, r.text);
    }
    let session = cookie(&r, "hookd_console").context("no console session cookie")?;
    Ok(format!("hookd_console={session}"))
}

/// A cookie's value from the answer's `Set-Cookie` headers.
fn cookie(r: &ApiResponse, name: &str) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// The `next` cursor of the page's "Next page" link, if any.
fn next_cursor(html: &str) -> Option<String> {
    let at = html.find("next=")? + "next=".len();
    let cursor: String = html[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!cursor.is_empty()).then_some(cursor)
}

/// Server and client times of one kind of page, microseconds.
#[derive(Default)]
struct Times {
    server_us: Vec<u64>,
    client_us: Vec<u64>,
}

impl Times {
    fn summary(&mut self) -> Value {
        json!({
            "server_ms": Summary::of_micros(&mut self.server_us),
            "client_ms": Summary::of_micros(&mut self.client_us),
        })
    }
}

struct Pages<'a> {
    api: &'a ApiClient,
    cookie: String,
    path: String,
    rows_seen: u64,
}

impl Pages<'_> {
    /// One page, timed; its HTML.
    async fn fetch(&mut self, query: &str, into: &mut Times) -> Result<String> {
        let path = format!("{}?{query}", self.path);
        let started = Instant::now();
        let r = self
            .api
            .raw("GET", &path, None, &[("cookie", &self.cookie)])
            .await;
        let client_us = started.elapsed().as_micros() as u64;
        if r.status != 200 {
            bail!("GET {path}: HTTP {}", r.status);
        }
        let server_ms: f64 = r
            .headers
            .get("server-timing")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("dur=").nth(1))
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("GET {path}: no Server-Timing"))?;
        into.server_us.push((server_ms * 1000.0) as u64);
        into.client_us.push(client_us);
        self.rows_seen += r.text.matches("href=\"/console/messages/").count() as u64;
        Ok(r.text)
    }

    /// Follows "Next page" from the first page for at most `max` pages; the pages walked.
    async fn walk(&mut self, filter: &str, max: u64, into: &mut Times) -> Result<u64> {
        let mut html = self.fetch(filter, into).await?;
        let mut pages = 1;
        while pages < max {
            let Some(cursor) = next_cursor(&html) else {
                break;
            };
            let sep = if filter.is_empty() { "" } else { "&" };
            html = self
                .fetch(&format!("{filter}{sep}next={cursor}"), into)
                .await?;
            pages += 1;
        }
        Ok(pages)
    }
}

/// Scenario C.
pub async fn run(cfg: &StackConfig, plan: &Plan) -> Result<Value> {
    let stack = Stack::start(cfg, "C", &[]).await?;
    let api = ApiClient::new(cfg.api_base(), Some(BOOTSTRAP_KEY));
    // The endpoint is never called: every seeded delivery is settled or due tomorrow.
    let made = setup::create(
        &api,
        "C",
        &["http://127.0.0.1:9/never".to_owned()],
        None,
        setup::Fifo::default(),
    )
    .await?;
    let seeding = Instant::now();
    seed(cfg, &made.app_id, &made.endpoint_ids[0], plan.c_messages).await?;
    let seed_s = seeding.elapsed().as_secs_f64();
    let browser = api.with_key(None);
    let mut pages = Pages {
        api: &browser,
        cookie: login(&browser).await?,
        path: format!("/console/apps/{}/messages", made.app_id),
        rows_seen: 0,
    };
    // Warm the pool and caches before measuring, as a person's second click would be.
    pages.fetch("", &mut Times::default()).await?;

    let mut first = Times::default();
    for _ in 0..plan.c_repeats {
        pages.fetch("", &mut first).await?;
    }
    let mut walk = Times::default();
    let walked = pages.walk("", u64::MAX, &mut walk).await?;
    let mut filtered = Times::default();
    let mut per_filter = serde_json::Map::new();
    for filter in FILTERS {
        let mut t = Times::default();
        for _ in 0..plan.c_repeats {
            pages.fetch(filter, &mut t).await?;
        }
        let n = pages.walk(filter, plan.c_filter_pages, &mut t).await?;
        filtered.server_us.extend_from_slice(&t.server_us);
        filtered.client_us.extend_from_slice(&t.client_us);
        let mut s = t.summary();
        s["pages_walked"] = json!(n);
        per_filter.insert(filter.into(), s);
    }
    let mut all = Times::default();
    for t in [&first, &walk, &filtered] {
        all.server_us.extend_from_slice(&t.server_us);
        all.client_us.extend_from_slice(&t.client_us);
    }
    let overall = all.summary();
    stack.stop().await;

    let p99 = overall["server_ms"]["p99_ms"].as_f64().unwrap_or(f64::MAX);
    Ok(json!({
        "scenario": "C",
        "load": format!("{} messages, console log pages", plan.c_messages),
        "messages": plan.c_messages,
        "seed_s": crate::stats::round3(seed_s),
        "pages_fetched": all.server_us.len(),
        "rows_seen": pages.rows_seen,
        "full_walk_pages": walked,
        "first_page": first.summary(),
        "full_walk": walk.summary(),
        "filters": per_filter,
        "all_pages": overall,
        "targets": [{
            "target": "C console message log server time p99 <= 50 ms",
            "value": p99, "limit": P99_TARGET_MS, "met": p99 <= P99_TARGET_MS,
        }],
    }))
}

#[cfg(test)]
mod tests {
    use super::next_cursor;

    #[test]
    fn reads_the_next_link_cursor() {
        let html = r#"<a href="/x?status=failed&amp;prev=AAA">Previous page</a><a href="/x?status=failed&amp;next=MTc2_-x">Next page</a>"#;
        assert_eq!(next_cursor(html).as_deref(), Some("MTc2_-x"));
        assert_eq!(next_cursor("<p>no pager</p>"), None);
    }
}
