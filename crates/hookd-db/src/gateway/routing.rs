//! Turning an accepted inbound request into events (GATEWAY.md, Inbound 4): what the router
//! reads about a request and its connections, and the one transaction that records the
//! outcome. Which connection gets what is decided by the caller (the router); here it is
//! stored, idempotently: an event per (request, connection) at most, and a request is routed
//! once (`routed_at`; the relay's outbox is `gw_request_outbox`).

use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
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
