//! The router's reads of the endpoints: the routing columns, and what changed since a routing
//! version (migration 0010). An endpoint's filter is parsed here, once per load of its row.

use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use hookd_domain::{Fifo, LaneKey};
use hookd_filter::MessageFilter;
use serde_json::Value;
use std::sync::Arc;
use tokio_postgres::Row;
use uuid::Uuid;

/// What the router and the retry scheduler need to send to an endpoint.
pub use hookd_domain::EndpointRoute as Route;

fn route_from_row(r: &Row) -> Route {
    let status: &str = r.get("status");
    let updated_at: DateTime<Utc> = r.get("updated_at");
    Route {
        id: r.get("id"),
        app_id: r.get("app_id"),
        url: r.get("url"),
        version: r.get("version"),
        enabled: status == "enabled",
        event_types: r.get("event_types"),
        rate_limit: r.get("rate_limit"),
        revision: updated_at.timestamp_micros(),
        filter: r
            .get::<_, Option<Value>>("filter")
            .map(|f| Arc::new(parse_filter(r.get("id"), &f))),
        fifo: fifo_from_row(r),
    }
}

/// A fifo endpoint's ordering, parsed once per load like its filter. A stored key that no longer
/// parses (the API checks it) falls back to one lane for the endpoint: still in order.
fn fifo_from_row(r: &Row) -> Option<Fifo> {
    if r.get::<_, &str>("ordering") != "fifo" {
        return None;
    }
    let key = r
        .get::<_, Option<&str>>("ordering_key")
        .and_then(|k| match LaneKey::parse(k) {
            Ok(key) => Some(key),
            Err(e) => {
                tracing::error!(endpoint_id = %r.get::<_, Uuid>("id"), error = %e, "stored ordering_key does not parse; one lane for the endpoint");
                None
            }
        });
    Some(Fifo { key })
}

/// A stored filter, parsed. The API stores only filters that parse; one that no longer does
/// (the syntax changed) passes nothing, loudly, rather than everything.
fn parse_filter(endpoint_id: Uuid, filter: &Value) -> MessageFilter {
    MessageFilter::parse(filter).unwrap_or_else(|e| {
        tracing::error!(%endpoint_id, error = %e, "stored endpoint filter does not parse; the endpoint gets no message");
        MessageFilter::nothing()
    })
}

/// The columns `route_from_row` reads, of `endpoints n`.
const ROUTE_COLUMNS: &str =
    "n.id, n.app_id, n.url, n.version, n.status, n.event_types, n.rate_limit, n.updated_at, \
    n.filter, n.ordering, n.ordering_key";

/// What changed for routing since a version, read in one snapshot.
#[derive(Debug, Default)]
pub struct RouteChanges {
    /// The routing version the changes bring a view to.
    pub version: i64,
    /// Endpoints inserted or changed in a way routing sees (all of them on a full load).
    pub changed: Vec<Route>,
    /// Endpoints deleted.
    pub deleted: Vec<Uuid>,
    /// Whether this is every endpoint (the view is replaced, not patched).
    pub full: bool,
}

/// The routing changes after version `since`; every endpoint when `since` is `None` or older
/// than the tombstones kept. Versions commit in order (migration 0010), so nothing committed at
/// or below the version read is missed later.
pub async fn route_changes(
    client: &mut Client,
    since: Option<i64>,
) -> Result<RouteChanges, DbError> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let row = tx
        .query_one("SELECT version, pruned_through FROM routing_version", &[])
        .await?;
    let (version, pruned_through): (i64, i64) = (row.get(0), row.get(1));
    let since = since.filter(|s| *s >= pruned_through);
    let changes = match since {
        None => RouteChanges {
            version,
            changed: tx
                .query(&format!("SELECT {ROUTE_COLUMNS} FROM endpoints n"), &[])
                .await?
                .iter()
                .map(route_from_row)
                .collect(),
            deleted: Vec::new(),
            full: true,
        },
        Some(since) => RouteChanges {
            version,
            changed: tx
                .query(
                    &format!("SELECT {ROUTE_COLUMNS} FROM endpoints n WHERE n.routing_seq > $1"),
                    &[&since],
                )
                .await?
                .iter()
                .map(route_from_row)
                .collect(),
            deleted: tx
                .query(
                    "SELECT endpoint_id FROM routing_tombstones WHERE routing_seq > $1",
                    &[&since],
                )
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect(),
            full: false,
        },
    };
    tx.commit().await?;
    Ok(changes)
}

/// One endpoint of the organization's apps as the router sees it (its filter parsed), for
/// replay_missing to ask the router's question of past messages.
pub async fn route_in_org(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Route, DbError> {
    client
        .query_opt(
            &format!(
                "SELECT {ROUTE_COLUMNS} FROM endpoints n JOIN apps a ON a.id = n.app_id
                 WHERE n.id = $1 AND a.organization_id = $2"
            ),
            &[&id, &organization_id],
        )
        .await?
        .map(|r| route_from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn routing_version(client: &impl GenericClient) -> Result<i64, DbError> {
    Ok(client
        .query_one("SELECT version FROM routing_version", &[])
        .await?
        .get(0))
}
