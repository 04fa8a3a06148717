//! Turning an accepted inbound request into events (GATEWAY.md, Inbound 4): what the router
//! reads about a request and its connections, and the one transaction that records the
//! outcome. Which connection gets what is decided by the caller (the router); here it is
//! stored, idempotently: an event per (request, connection) at most, and a request is routed
//! once (`routed_at`).

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
    r.body, r.verified, r.created_at AS request_created_at";

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

/// The request to route, locked for the routing transaction, and the gateway routing version
/// (a router whose connections view is older reloads it first); `None` when it is gone, was
/// rejected or has been routed already (a redelivered envelope: nothing more to do).
pub async fn lock_unrouted(
    client: &impl GenericClient,
    request_id: Uuid,
) -> Result<Option<(Inbound, i64)>, DbError> {
    let row = client
        .query_opt(
            &format!(
                "SELECT {INBOUND_COLUMNS},
                    (SELECT version FROM gw_routing_version) AS routing_version
                 FROM gw_requests r JOIN gw_sources s ON s.id = r.source_id
                 WHERE r.id = $1 AND r.routed_at IS NULL AND r.rejection_cause IS NULL
                 FOR UPDATE OF r"
            ),
            &[&request_id],
        )
        .await?;
    Ok(row
        .as_ref()
        .map(|r| (inbound_from_row(r), r.get("routing_version"))))
}

pub async fn routing_version(client: &impl GenericClient) -> Result<i64, DbError> {
    Ok(client
        .query_one("SELECT version FROM gw_routing_version", &[])
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
            &format!(
                "SELECT c.id, c.source_id, c.rules, c.disabled_at IS NOT NULL AS disabled,
                    c.paused_at IS NOT NULL AS paused, {DESTINATION_COLUMNS}
                 FROM gw_connections c JOIN gw_destinations d ON d.id = c.destination_id
                 ORDER BY c.created_at, c.id"
            ),
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

/// The organization's signing secret revision (0: none yet), carried by jobs so a worker's
/// cached secret older than a rotation reloads.
pub async fn signing_revision(
    client: &impl GenericClient,
    organization_id: Uuid,
) -> Result<i64, DbError> {
    Ok(client
        .query_opt(
            "SELECT revision FROM gw_signing_secrets WHERE organization_id = $1",
            &[&organization_id],
        )
        .await?
        .map(|r| r.get(0))
        .unwrap_or(0))
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

/// Records the outcomes and marks the request routed; in the caller's transaction. Returns the
/// ids of the events created now (an event of the same request and connection made before is
/// kept, not doubled).
pub async fn record(
    client: &impl GenericClient,
    request: &Inbound,
    outcomes: &[Outcome],
) -> Result<Vec<Uuid>, DbError> {
    let mut created = Vec::new();
    let (mut events, mut ignored) = (0i32, 0i32);
    // A source without connections: Hookdeck's NO_CONNECTION is a cause of the request (still
    // answered 200), not an ignored event of a connection.
    let mut cause_of_request: Option<&str> = None;
    for outcome in outcomes {
        match outcome {
            Outcome::Ignored {
                connection_id: None,
                cause,
                ..
            } => cause_of_request = Some(cause),
            Outcome::Ignored {
                connection_id,
                cause,
                meta,
            } => {
                client
                    .execute(
                        "INSERT INTO gw_ignored_events (id, request_id, connection_id, cause, meta)
                         VALUES ($1, $2, $3, $4, $5)",
                        &[
                            &hookd_domain::new_id(),
                            &request.id,
                            connection_id,
                            cause,
                            meta,
                        ],
                    )
                    .await?;
                ignored += 1;
            }
            Outcome::Event {
                id,
                connection_id,
                destination_id,
                status,
                next_attempt_at,
            } => {
                let n = client
                    .execute(
                        "INSERT INTO gw_events (id, organization_id, connection_id, source_id,
                            destination_id, request_id, status, next_attempt_at, queued)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7 = 'QUEUED')
                         ON CONFLICT (request_id, connection_id) DO NOTHING",
                        &[
                            id,
                            &request.organization_id,
                            connection_id,
                            &request.source_id,
                            destination_id,
                            &request.id,
                            status,
                            next_attempt_at,
                        ],
                    )
                    .await?;
                events += 1;
                if n == 1 {
                    created.push(*id);
                }
            }
        }
    }
    client
        .execute(
            "UPDATE gw_requests SET routed_at = now(), events_count = $2, ignored_count = $3,
                rejection_cause = coalesce($4, rejection_cause), updated_at = now()
             WHERE id = $1",
            &[&request.id, &events, &ignored, &cause_of_request],
        )
        .await?;
    Ok(created)
}

/// Accepted requests never routed, accepted before `before` (the relay's outbox).
pub async fn unrouted(
    client: &impl GenericClient,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(Uuid, Uuid, Uuid, DateTime<Utc>)>, DbError> {
    let rows = client
        .query(
            "SELECT id, source_id, organization_id, created_at FROM gw_requests
             WHERE routed_at IS NULL AND rejection_cause IS NULL AND created_at < $1
             ORDER BY created_at LIMIT $2",
            &[&before, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect())
}
