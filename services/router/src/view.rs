use hookd_db::endpoints::Route;
use hookd_db::{DbError, Pool};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// Every endpoint, indexed for fan-out. Replaced whole on reload, read without a query.
pub struct Snapshot {
    pub version: i64,
    by_app: HashMap<Uuid, Vec<Arc<Route>>>,
    by_id: HashMap<Uuid, Arc<Route>>,
}

impl Default for Snapshot {
    /// Version -1: older than any stored version, so the first refresh loads.
    fn default() -> Self {
        Self {
            version: -1,
            by_app: HashMap::new(),
            by_id: HashMap::new(),
        }
    }
}

impl Snapshot {
    pub fn new(version: i64, routes: Vec<Route>) -> Self {
        let mut by_app: HashMap<Uuid, Vec<Arc<Route>>> = HashMap::new();
        let mut by_id = HashMap::new();
        for route in routes {
            let route = Arc::new(route);
            by_id.insert(route.id, route.clone());
            by_app.entry(route.app_id).or_default().push(route);
        }
        Self {
            version,
            by_app,
            by_id,
        }
    }

    /// Enabled endpoints of the app that take this event type and version.
    pub fn matching(&self, app_id: Uuid, event_type: &str, version: &str) -> Vec<Arc<Route>> {
        self.by_app
            .get(&app_id)
            .map(|routes| {
                routes
                    .iter()
                    .filter(|r| {
                        r.enabled
                            && r.version == version
                            && r.event_types.iter().any(|t| t == event_type)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn endpoint(&self, id: Uuid) -> Option<Arc<Route>> {
        self.by_id.get(&id).cloned()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// The router's view of the endpoints, kept fresh by `refresh`.
#[derive(Clone, Default)]
pub struct RoutingView {
    current: Arc<RwLock<Arc<Snapshot>>>,
}

impl RoutingView {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().expect("view lock").clone()
    }

    /// Loads every endpoint when the routing version moved; returns whether it reloaded.
    pub async fn refresh(&self, pool: &Pool) -> Result<bool, DbError> {
        let mut client = pool.get().await?;
        let version = hookd_db::endpoints::routing_version(&client).await?;
        let current = self.snapshot();
        if version == current.version {
            return Ok(false);
        }
        let (version, routes) = hookd_db::endpoints::load_routes(&mut client).await?;
        *self.current.write().expect("view lock") = Arc::new(Snapshot::new(version, routes));
        Ok(true)
    }
}
