//! Delivery health: attempts, successes and latency over a window, per time bucket, for an
//! app or one endpoint (CONSOLE.md stats). An attempt succeeded when the answer was a 2xx.

use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// Counts and latency of a set of attempts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub attempts: i64,
    pub succeeded: i64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

/// Whose attempts.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    App(Uuid),
    Endpoint(Uuid),
}

impl Subject {
    fn condition(self) -> (&'static str, Uuid) {
        match self {
            // endpoints_app, then attempts_endpoint (endpoint_id, created_at) per endpoint.
            Subject::App(id) => (
                "t.endpoint_id IN (SELECT n.id FROM endpoints n WHERE n.app_id = $1)",
                id,
            ),
            Subject::Endpoint(id) => ("t.endpoint_id = $1", id),
        }
    }
}

const FIGURES: &str = "count(t.id), \
    count(t.id) FILTER (WHERE t.response_status BETWEEN 200 AND 299), \
    percentile_cont(0.5) WITHIN GROUP (ORDER BY t.duration_ms), \
    percentile_cont(0.95) WITHIN GROUP (ORDER BY t.duration_ms)";

fn figures(r: &tokio_postgres::Row, from: usize) -> Figures {
    Figures {
        attempts: r.get(from),
        succeeded: r.get(from + 1),
        p50_ms: r.get(from + 2),
        p95_ms: r.get(from + 3),
    }
}

/// `count` buckets of `bucket_seconds` each, the last one holding `now`: the figures of the
/// whole window and of each bucket (oldest first, empty buckets included).
pub async fn window(
    client: &impl GenericClient,
    subject: Subject,
    now: DateTime<Utc>,
    bucket_seconds: i64,
    count: i64,
) -> Result<(Figures, Vec<(DateTime<Utc>, Figures)>), DbError> {
    let first = (now.timestamp().div_euclid(bucket_seconds) - (count - 1)) * bucket_seconds;
    let since = DateTime::from_timestamp(first, 0).unwrap_or(now);
    let (condition, id) = subject.condition();
    let total = client
        .query_one(
            &format!("SELECT {FIGURES} FROM attempts t WHERE {condition} AND t.created_at >= $2"),
            &[&id, &since],
        )
        .await?;
    let rows = client
        .query(
            &format!(
                "SELECT floor(extract(epoch FROM t.created_at)::float8 / $3::float8)::bigint, {FIGURES}
                 FROM attempts t WHERE {condition} AND t.created_at >= $2
                 GROUP BY 1"
            ),
            &[&id, &since, &(bucket_seconds as f64)],
        )
        .await?;
    let mut buckets: Vec<(DateTime<Utc>, Figures)> = (0..count)
        .map(|i| {
            let start = DateTime::from_timestamp(first + i * bucket_seconds, 0).unwrap_or(now);
            (start, Figures::default())
        })
        .collect();
    for r in &rows {
        let index: i64 = r.get::<_, i64>(0) - first / bucket_seconds;
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| buckets.get_mut(i)) {
            slot.1 = figures(r, 1);
        }
    }
    Ok((figures(&total, 0), buckets))
}

/// The figures of each endpoint of an app since `since` (the health page's table).
pub async fn per_endpoint(
    client: &impl GenericClient,
    app_id: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<(Uuid, String, Figures)>, DbError> {
    let rows = client
        .query(
            &format!(
                "SELECT n.id, n.url, {FIGURES}
                 FROM endpoints n LEFT JOIN attempts t
                   ON t.endpoint_id = n.id AND t.created_at >= $2
                 WHERE n.app_id = $1
                 GROUP BY n.id, n.url ORDER BY n.url, n.id"
            ),
            &[&app_id, &since],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), figures(r, 2)))
        .collect())
}
