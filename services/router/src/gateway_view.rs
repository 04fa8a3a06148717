//! The router's view of the gateway's connections, by source, their filters parsed once.
//! Replaced whole on reload (a NOTIFY, a periodic check, or a routing transaction that reads a
//! newer version), read without a query.

use hookd_db::gateway::routing::{self, ConnectionRoute};
use hookd_db::{DbError, GenericClient, Pool};
use hookd_filter::RequestFilter;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// A connection ready to decide: its filter rule parsed.
pub struct Prepared {
    pub route: ConnectionRoute,
    pub filter: Option<RequestFilter>,
}

pub struct Snapshot {
    pub version: i64,
    by_source: HashMap<Uuid, Vec<Arc<Prepared>>>,
}

impl Default for Snapshot {
    /// Version -1: older than any stored version, so the first refresh loads.
    fn default() -> Self {
        Self {
            version: -1,
            by_source: HashMap::new(),
        }
    }
}

impl Snapshot {
    pub fn new(version: i64, routes: Vec<ConnectionRoute>) -> Self {
        let mut by_source: HashMap<Uuid, Vec<Arc<Prepared>>> = HashMap::new();
        for route in routes {
            let filter = crate::gateway_decide::rule(&route.rules, "filter").and_then(|r| {
                RequestFilter::parse(r)
                    .map_err(|e| {
                        // Rules are checked on the way in; one that no longer parses filters
                        // nothing out rather than dropping requests.
                        tracing::warn!(connection_id = %route.id, error = %e,
                            "stored filter rule does not parse; ignored");
                    })
                    .ok()
            });
            by_source
                .entry(route.source_id)
                .or_default()
                .push(Arc::new(Prepared { route, filter }));
        }
        Self { version, by_source }
    }

    /// The connections of a source, oldest first.
    pub fn of_source(&self, source_id: Uuid) -> &[Arc<Prepared>] {
        self.by_source
            .get(&source_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.by_source.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_source.is_empty()
    }
}

#[derive(Clone, Default)]
pub struct GatewayView {
    current: Arc<RwLock<Arc<Snapshot>>>,
}

impl GatewayView {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().expect("gateway view lock").clone()
    }

    /// Reloads when the stored version moved past the view's; returns whether it reloaded.
    pub async fn refresh(&self, pool: &Pool) -> Result<bool, DbError> {
        let client = pool.get().await?;
        let version = routing::routing_version(&client).await?;
        self.at_least(&client, version).await
    }

    /// Makes the view at least as new as `version`, reloading through `client` (the routing
    /// transaction's own, so routing never waits for a second connection) if it is older.
    pub async fn at_least(
        &self,
        client: &impl GenericClient,
        version: i64,
    ) -> Result<bool, DbError> {
        if self.snapshot().version >= version {
            return Ok(false);
        }
        let (version, routes) = routing::load_connections(client).await?;
        let snapshot = Arc::new(Snapshot::new(version, routes));
        let mut current = self.current.write().expect("gateway view lock");
        // A concurrent reload may have read a newer version: keep the newest.
        if current.version < snapshot.version {
            *current = snapshot;
        }
        Ok(true)
    }
}
