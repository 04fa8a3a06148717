use hookd_db::routing::Route;
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
                    .filter(|r| r.enabled && r.subscribes_to(event_type, version))
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

/// What one refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    /// Endpoint rows read (changed or, on a full load, all).
    pub rows: usize,
    pub deleted: usize,
    pub full: bool,
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

    /// Reads what changed since the view's version, if the version moved, and patches the
    /// view with it (the first refresh loads everything). `None` when nothing changed.
    pub async fn refresh(&self, pool: &Pool) -> Result<Option<Refreshed>, DbError> {
        let mut client = pool.get().await?;
        let current = self.snapshot();
        if hookd_db::routing::routing_version(&client).await? == current.version {
            return Ok(None);
        }
        let since = (current.version >= 0).then_some(current.version);
        let changes = hookd_db::routing::route_changes(&mut client, since).await?;
        let done = Refreshed {
            rows: changes.changed.len(),
            deleted: changes.deleted.len(),
            full: changes.full,
        };
        let next = if changes.full {
            Snapshot::new(changes.version, changes.changed)
        } else {
            current.patched(changes)
        };
        *self.current.write().expect("view lock") = Arc::new(next);
        Ok(Some(done))
    }
}

impl Snapshot {
    /// This view with `changes` applied: only the apps they touch are re-indexed.
    fn patched(&self, changes: hookd_db::routing::RouteChanges) -> Snapshot {
        let mut by_id = self.by_id.clone();
        let mut apps = std::collections::HashSet::new();
        for id in &changes.deleted {
            if let Some(old) = by_id.remove(id) {
                apps.insert(old.app_id);
            }
        }
        for route in changes.changed {
            if let Some(old) = by_id.get(&route.id) {
                apps.insert(old.app_id);
            }
            apps.insert(route.app_id);
            by_id.insert(route.id, Arc::new(route));
        }
        let mut by_app = self.by_app.clone();
        for app in &apps {
            by_app.remove(app);
        }
        for route in by_id.values().filter(|r| apps.contains(&r.app_id)) {
            by_app.entry(route.app_id).or_default().push(route.clone());
        }
        Snapshot {
            version: changes.version,
            by_app,
            by_id,
        }
    }
}
