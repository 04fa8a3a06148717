//! Recover and replay of one endpoint (issue 17). Both only make deliveries due now, so the
//! retry scheduler sends them through the normal engine; neither sends anything itself.
//! - recover: its failed deliveries in a time range are tried again (a bulk retry of them).
//! - replay_missing: a delivery for every message in a time range that the endpoint would be
//!   routed today but has none of (it was disabled, or subscribed later). The decision is the
//!   router's own (`EndpointRoute::subscribes_to`, `filter_passes`); the query only narrows.

use crate::deliveries::{retry_matching, RetryFilter};
use crate::routing::Route;
use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use hookd_domain::{new_id, DeliveryStatus};
use hookd_filter::message_input;
use serde_json::Value;
use uuid::Uuid;

/// Messages read per page of replay_missing.
const PAGE: i64 = 500;

/// A time range, `until` open when `None`.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// Makes the endpoint's failed deliveries created in the range due now. A delivery recovered
/// once is pending until its try, so recovering again meanwhile does not pick it twice.
/// Returns how many it scheduled.
#[tracing::instrument(name = "db.recover", skip_all, fields(endpoint_id = %route.id))]
pub async fn recover(
    client: &impl GenericClient,
    route: &Route,
    range: Range,
) -> Result<u64, DbError> {
    retry_matching(
        client,
        route.app_id,
        &RetryFilter {
            status: Some(DeliveryStatus::Failed),
            endpoint_id: Some(route.id),
            created_gte: Some(range.since),
            created_lte: range.until,
            ..RetryFilter::default()
        },
    )
    .await
}

/// A message of the range that the endpoint has no delivery of.
struct Candidate {
    id: Uuid,
    event_type: String,
    version: String,
    /// Read only when the endpoint has a filter.
    data: Option<Value>,
    created_at: DateTime<Utc>,
}

/// Creates a delivery, due now, for every message of the range that the endpoint would be
/// routed and has none of; a page at a time, each committed on its own (a crash midway keeps
/// what was made, and running it again makes only the rest). Returns how many it created.
#[tracing::instrument(name = "db.replay_missing", skip_all, fields(endpoint_id = %route.id,
    created = tracing::field::Empty))]
pub async fn replay_missing(
    client: &impl GenericClient,
    route: &Route,
    range: Range,
) -> Result<u64, DbError> {
    let mut after: Option<(DateTime<Utc>, Uuid)> = None;
    let mut created = 0;
    loop {
        let page = missing_page(client, route, range, after).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.created_at, last.id));
        let full = page.len() as i64 == PAGE;
        let (ids, types): (Vec<Uuid>, Vec<String>) = page
            .into_iter()
            .filter_map(|m| would_route(route, m))
            .unzip();
        created += insert_due(client, route, &ids, &types).await?;
        if !full {
            break;
        }
    }
    tracing::Span::current().record("created", created);
    Ok(created)
}

/// The router's decision for this message and endpoint (apart from the endpoint being
/// enabled now, which the caller checks): the message's (id, event type) when it would be
/// routed there.
fn would_route(route: &Route, m: Candidate) -> Option<(Uuid, String)> {
    if !route.subscribes_to(&m.event_type, &m.version) {
        return None;
    }
    let input = m
        .data
        .map(|data| message_input(&m.event_type, &m.version, data));
    route
        .filter_passes(input.as_ref())
        .then_some((m.id, m.event_type))
}

/// The next page of the app's routed messages in the range, after `after`, of the endpoint's
/// version and event types, not sent to another endpoint alone, not run by a task (whose
/// outcome was settled when it ran), with a payload, and with no delivery to the endpoint.
async fn missing_page(
    client: &impl GenericClient,
    route: &Route,
    range: Range,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> Result<Vec<Candidate>, DbError> {
    let rows = client
        .query(
            "SELECT m.id, m.event_type, m.version, m.created_at,
                CASE WHEN $9 THEN m.data END AS data
             FROM messages m
             WHERE m.app_id = $1 AND m.event_type = ANY($2) AND m.version = $3
               AND m.created_at >= $4 AND ($5::timestamptz IS NULL OR m.created_at <= $5)
               AND ($6::timestamptz IS NULL OR (m.created_at, m.id) > ($6, $7))
               AND (m.endpoint_id IS NULL OR m.endpoint_id = $8)
               AND m.task_id IS NULL AND m.expunged_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM message_outbox o WHERE o.id = m.id)
               AND NOT EXISTS (SELECT 1 FROM deliveries d
                               WHERE d.message_id = m.id AND d.endpoint_id = $8)
             ORDER BY m.created_at, m.id
             LIMIT $10",
            &[
                &route.app_id,
                &route.event_types,
                &route.version,
                &range.since,
                &range.until,
                &after.map(|a| a.0),
                &after.map(|a| a.1).unwrap_or_default(),
                &route.id,
                &route.filter.is_some(),
                &PAGE,
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Candidate {
            id: r.get("id"),
            event_type: r.get("event_type"),
            version: r.get("version"),
            data: r.get("data"),
            created_at: r.get("created_at"),
        })
        .collect())
}

/// Deliveries of these messages to the endpoint, due now and not leased, so the retry
/// scheduler publishes their jobs. One per (message, endpoint): a delivery the router or
/// another replay made meanwhile wins, and this one is not made.
async fn insert_due(
    client: &impl GenericClient,
    route: &Route,
    messages: &[Uuid],
    event_types: &[String],
) -> Result<u64, DbError> {
    if messages.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = messages.iter().map(|_| new_id()).collect();
    Ok(client
        .execute(
            "INSERT INTO deliveries (id, message_id, endpoint_id, app_id, event_type,
                next_attempt_at, queued)
             SELECT d.id, d.message_id, $3::uuid, $4::uuid, d.event_type, now(), false
             FROM unnest($1::uuid[], $2::uuid[], $5::text[]) AS d(id, message_id, event_type)
             WHERE EXISTS (SELECT 1 FROM endpoints n WHERE n.id = $3)
             ON CONFLICT (message_id, endpoint_id) DO NOTHING",
            &[&ids, &messages, &route.id, &route.app_id, &event_types],
        )
        .await?)
}
