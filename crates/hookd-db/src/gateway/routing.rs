//! Turning an accepted inbound request into events (GATEWAY.md, Inbound 4): what the router
//! reads about a request and its connections, and the one transaction that records the
//! outcome. Which connection gets what is decided by the caller (the router); here it is
//! stored, idempotently: an event per (request, connection) at most, and a request is routed
//! once (`routed_at`; the relay's outbox is `gw_request_outbox`).

use super::routing_rows::{EventRows, IgnoredRows, RequestRows};
use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use tokio_postgres::Row;
use uuid::Uuid;

/// An accepted request as routing and delivery read it.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub source_id: Uuid,
    pub source_name: String,
    pub verification_type: Option<String>,
    /// Sealed JSON.
    pub verification_configs: Option<String>,
    pub method: String,
    pub data: Value,
    pub body: Vec<u8>,
    pub verified: bool,
    pub created_at: DateTime<Utc>,
    /// The W3C `traceparent` of its inbound step.
    pub traceparent: Option<String>,
}

/// What a delivery to a destination needs (its auth credential aside).
#[derive(Debug, Clone)]
pub struct DestinationRoute {
    pub id: Uuid,
    pub url: Option<String>,
    pub http_method: Option<String>,
    pub path_forwarding_disabled: bool,
    pub rate_limit: Option<i32>,
    pub rate_limit_period: Option<String>,
    pub disabled: bool,
    /// `updated_at` in microseconds: a worker's cached credential older than this reloads.
    pub revision: i64,
}

impl DestinationRoute {
    /// Where its jobs go: the url, or `cli:` for a CLI destination (`cli_path`, no url), whose
    /// jobs a worker parks for `hookctl listen` (`super::cli_relay`).
    pub fn target(&self) -> &str {
        self.url.as_deref().unwrap_or(super::cli_relay::CLI_TARGET)
    }
}

/// A connection of the request's source.
#[derive(Debug, Clone)]
pub struct ConnectionRoute {
    pub id: Uuid,
    pub source_id: Uuid,
    pub rules: Value,
    pub disabled: bool,
    pub paused: bool,
    pub destination: DestinationRoute,
}

pub(crate) const INBOUND_COLUMNS: &str = "r.id AS request_id, r.organization_id, r.source_id, \
    s.name AS source_name, s.verification_type, s.verification_configs, r.method, r.data, \
    r.body, r.verified, r.created_at AS request_created_at, r.traceparent";

pub(crate) const DESTINATION_COLUMNS: &str = "d.id AS destination_id, d.url, d.http_method, \
    d.path_forwarding_disabled, d.rate_limit, d.rate_limit_period, \
    d.disabled_at IS NOT NULL AS destination_disabled, d.updated_at AS destination_updated_at";

pub(crate) fn inbound_from_row(r: &Row) -> Inbound {
    Inbound {
        id: r.get("request_id"),
        organization_id: r.get("organization_id"),
        source_id: r.get("source_id"),
        source_name: r.get("source_name"),
        verification_type: r.get("verification_type"),
        verification_configs: r.get("verification_configs"),
        method: r.get("method"),
        data: r.get("data"),
        body: r.get("body"),
        verified: r.get("verified"),
        created_at: r.get("request_created_at"),
        traceparent: r.get("traceparent"),
    }
}

pub(crate) fn destination_from_row(r: &Row) -> DestinationRoute {
    DestinationRoute {
        id: r.get("destination_id"),
        url: r.get("url"),
        http_method: r.get("http_method"),
        path_forwarding_disabled: r.get("path_forwarding_disabled"),
        rate_limit: r.get("rate_limit"),
        rate_limit_period: r.get("rate_limit_period"),
        disabled: r.get("destination_disabled"),
        revision: r
            .get::<_, DateTime<Utc>>("destination_updated_at")
            .timestamp_micros(),
    }
}

/// The requests to route, locked for the routing transaction (in id order, so concurrent
/// routers cannot deadlock), and the gateway routing version (a router whose connections view
/// is older reloads it first). A request gone, rejected or routed already (a redelivered
/// envelope) is not returned: nothing more to do for it.
pub async fn lock_unrouted(
    client: &impl GenericClient,
    request_ids: &[Uuid],
) -> Result<(Vec<Inbound>, i64), DbError> {
    let rows = client
        .query(
            &client
                .prepare_cached(&format!(
                    "SELECT {INBOUND_COLUMNS},
                    (SELECT version FROM gw_routing_version) AS routing_version
                 FROM gw_requests r JOIN gw_sources s ON s.id = r.source_id
                 WHERE r.id = ANY($1) AND r.routed_at IS NULL AND r.rejection_cause IS NULL
                 ORDER BY r.id
                 FOR UPDATE OF r"
                ))
                .await?,
            &[&request_ids],
        )
        .await?;
    // No rows: nothing to route, so no version to be at.
    let version = rows.first().map_or(-1, |r| r.get("routing_version"));
    Ok((rows.iter().map(inbound_from_row).collect(), version))
}

pub async fn routing_version(client: &impl GenericClient) -> Result<i64, DbError> {
    Ok(client
        .query_one(
            &client
                .prepare_cached("SELECT version FROM gw_routing_version")
                .await?,
            &[],
        )
        .await?
        .get(0))
}

/// Every connection with its destination, and the routing version they are at least as new
/// as (read first, so a change racing the read makes the rows newer, never older): what the
/// router's connections view holds.
pub async fn load_connections(
    client: &impl GenericClient,
) -> Result<(i64, Vec<ConnectionRoute>), DbError> {
    let version = routing_version(client).await?;
    let rows = client
        .query(
            &client
                .prepare_cached(&format!(
                    "SELECT c.id, c.source_id, c.rules, c.disabled_at IS NOT NULL AS disabled,
                    c.paused_at IS NOT NULL AS paused, {DESTINATION_COLUMNS}
                 FROM gw_connections c JOIN gw_destinations d ON d.id = c.destination_id
                 ORDER BY c.created_at, c.id"
                ))
                .await?,
            &[],
        )
        .await?;
    Ok((
        version,
        rows.iter()
            .map(|r| ConnectionRoute {
                id: r.get("id"),
                source_id: r.get("source_id"),
                rules: r.get("rules"),
                disabled: r.get("disabled"),
                paused: r.get("paused"),
                destination: destination_from_row(r),
            })
            .collect(),
    ))
}

/// The organizations' signing secret revisions (absent: none yet, revision 0), carried by jobs
/// so a worker's cached secret older than a rotation reloads.
pub async fn signing_revisions(
    client: &impl GenericClient,
    organization_ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>, DbError> {
    Ok(client
        .query(
            &client
                .prepare_cached(
                    "SELECT organization_id, revision FROM gw_signing_secrets
             WHERE organization_id = ANY($1)",
                )
                .await?,
            &[&organization_ids],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// What became of one connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// No event: DISABLED, FILTERED (`meta` says which part failed) or NO_CONNECTION.
    Ignored {
        connection_id: Option<Uuid>,
        cause: &'static str,
        meta: Option<Value>,
    },
    /// An event: HOLD, SCHEDULED (due at `next_attempt_at`) or QUEUED (leased until it).
    Event {
        id: Uuid,
        connection_id: Uuid,
        destination_id: Uuid,
        status: &'static str,
        next_attempt_at: Option<DateTime<Utc>>,
    },
}

/// Records the outcomes of each request and marks them routed, three statements for the
/// whole batch; in the caller's transaction. Returns the ids of the events created now (an
/// event of the same request and connection made before is kept, not doubled).
pub async fn record(
    client: &impl GenericClient,
    routed: &[(&Inbound, &[Outcome])],
) -> Result<HashSet<Uuid>, DbError> {
    let mut events = EventRows::default();
    let mut ignored = IgnoredRows::default();
    let mut requests = RequestRows::default();
    for (request, outcomes) in routed {
        // A source without connections: Hookdeck's NO_CONNECTION is a cause of the request
        // (still answered 200), not an ignored event of a connection.
        let mut cause_of_request: Option<&'static str> = None;
        let (mut n_events, mut n_ignored) = (0i32, 0i32);
        for outcome in outcomes.iter() {
            match outcome {
                Outcome::Ignored {
                    connection_id: None,
                    cause,
                    ..
                } => cause_of_request = Some(cause),
                Outcome::Ignored {
                    connection_id: Some(connection_id),
                    cause,
                    meta,
                } => {
                    ignored.push(request.id, *connection_id, cause, meta.clone());
                    n_ignored += 1;
                }
                Outcome::Event { .. } => {
                    events.push(request, outcome);
                    n_events += 1;
                }
            }
        }
        requests.push(request.id, n_events, n_ignored, cause_of_request);
    }
    let created = if events.id.is_empty() {
        HashSet::new()
    } else {
        client
            .query(
                &client
                    .prepare_cached(
                        "INSERT INTO gw_events (id, organization_id, connection_id, source_id,
                    destination_id, request_id, status, next_attempt_at, queued)
                 SELECT id, organization_id, connection_id, source_id, destination_id,
                    request_id, status, next_attempt_at, status = 'QUEUED'
                 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[],
                    $6::uuid[], $7::text[], $8::timestamptz[])
                    AS e(id, organization_id, connection_id, source_id, destination_id,
                        request_id, status, next_attempt_at)
                 -- The connection's key is checked by this read (0027): one deleted since the
                 -- view was read gets no event.
                 WHERE EXISTS (SELECT 1 FROM gw_connections c WHERE c.id = e.connection_id)
                 ON CONFLICT (request_id, connection_id) DO NOTHING
                 RETURNING id",
                    )
                    .await?,
                &[
                    &events.id,
                    &events.organization_id,
                    &events.connection_id,
                    &events.source_id,
                    &events.destination_id,
                    &events.request_id,
                    &events.status,
                    &events.next_attempt_at,
                ],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    if !ignored.id.is_empty() {
        client
            .execute(
                &client
                    .prepare_cached(
                        "INSERT INTO gw_ignored_events (id, request_id, connection_id, cause, meta)
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[],
                    $5::jsonb[])",
                    )
                    .await?,
                &[
                    &ignored.id,
                    &ignored.request_id,
                    &ignored.connection_id,
                    &ignored.cause,
                    &ignored.meta,
                ],
            )
            .await?;
    }
    client
        .execute(
            &client
                .prepare_cached(
                    "WITH routed AS (
                -- Out of the outbox (0028): the update below touches no indexed column.
                DELETE FROM gw_request_outbox WHERE id = ANY($1)
             )
             UPDATE gw_requests r SET routed_at = now(), events_count = u.events,
                ignored_count = u.ignored, rejection_cause = coalesce(u.cause, r.rejection_cause),
                updated_at = now()
             FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[])
                AS u(id, events, ignored, cause)
             WHERE r.id = u.id",
                )
                .await?,
            &[
                &requests.id,
                &requests.events,
                &requests.ignored,
                &requests.cause,
            ],
        )
        .await?;
    Ok(created)
}

/// Accepted requests never routed, accepted before `before`: the relay's outbox, oldest first
/// by id (time-ordered), its primary key.
pub async fn unrouted(
    client: &impl GenericClient,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Unrouted>, DbError> {
    let rows = client
        .query(
            &client
                .prepare_cached(
                    "SELECT r.id, r.source_id, r.organization_id, r.created_at, r.traceparent
             FROM gw_request_outbox o JOIN gw_requests r ON r.id = o.id
             WHERE o.created_at < $1 ORDER BY o.id LIMIT $2",
                )
                .await?,
            &[&before, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Unrouted {
            id: r.get(0),
            source_id: r.get(1),
            organization_id: r.get(2),
            created_at: r.get(3),
            traceparent: r.get(4),
        })
        .collect())
}

/// An accepted request not routed yet, as the relay publishes it again.
#[derive(Debug, Clone)]
pub struct Unrouted {
    pub id: Uuid,
    pub source_id: Uuid,
    pub organization_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub traceparent: Option<String>,
}
