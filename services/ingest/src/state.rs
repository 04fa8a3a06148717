use crate::caches::TtlCache;
use crate::metrics::IngestMetrics;
use hookd_bus::{Publisher, Route};
use hookd_config::Settings;
use hookd_db::Pool;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// An event type's compiled schemas; `None` when it has none or is not defined.
pub type SchemaEntry = Option<Arc<crate::schemas::Compiled>>;

/// What every handler shares.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: Pool,
    pub publisher: Arc<Publisher>,
    pub metrics: IngestMetrics,
    pub bootstrap_key_hash: Option<[u8; 32]>,
    pub default_org: Uuid,
    /// API key hash → its owner; cleared when any key is deleted (LISTEN hookd_api_keys).
    pub keys: TtlCache<[u8; 32], hookd_db::api_keys::KeyOwner>,
    /// Hashes of keys that are not stored, kept briefly (and bounded) so that repeating an
    /// unknown key costs no database lookup. Keys are random and made here, so a key cannot be
    /// refused by this cache after its creation.
    pub unknown_keys: TtlCache<[u8; 32], ()>,
    /// app id → organization id.
    pub app_orgs: TtlCache<Uuid, Uuid>,
    /// Organization → its messages-per-day quota (`None`: unlimited), read on every send.
    pub message_quotas: TtlCache<Uuid, Option<i32>>,
    /// (app id, event type) → compiled schemas.
    pub schemas: TtlCache<(Uuid, String), SchemaEntry>,
    /// Seals endpoint secrets at rest.
    pub cipher: hookd_signing::SecretCipher,
    /// Publishes the envelopes of committed sends (bounded: what it refuses is relayed).
    pub messages_out: hookd_bus::Coalescer<hookd_bus::envelopes::MessageAccepted>,
    /// Publishes the envelopes of accepted requests at source URLs (likewise).
    pub requests_out: hookd_bus::Coalescer<hookd_bus::envelopes::RequestAccepted>,
    /// Groups message inserts of concurrent sends.
    pub batcher: crate::batcher::InsertBatcher,
    /// Groups the inserts of concurrent requests at source URLs.
    pub requests: crate::batcher::RequestBatcher,
    /// source id → the source, for requests at source URLs. Changes made through this replica
    /// invalidate at once (`forget_source`); through another replica, within the TTL.
    pub sources: TtlCache<Uuid, Arc<hookd_db::gateway::sources::Source>>,
    /// Base URL of the console and portal (portal links, the origin forms come from).
    pub public_url: String,
    /// Where source URLs point: `gateway.public_url`, else this server's address.
    pub gateway_url: String,
    pub gateway_metrics: crate::gateway::GatewayMetrics,
    /// Cancelled when the server stops: long-lived streams (`hookctl listen`) end, so the
    /// graceful shutdown does not wait for them.
    pub stopping: tokio_util::sync::CancellationToken,
}

impl AppState {
    pub fn new(
        settings: Arc<Settings>,
        pool: Pool,
        publisher: Arc<Publisher>,
        default_org: Uuid,
        cipher: hookd_signing::SecretCipher,
        public_url: String,
    ) -> Self {
        let batcher = crate::batcher::start(pool.clone());
        let requests = crate::batcher::requests(pool.clone());
        let bootstrap_key_hash = settings
            .auth
            .bootstrap_api_key
            .as_ref()
            .map(|k| crate::hash_api_key(k.expose()));
        let metrics = IngestMetrics::new();
        let gateway_metrics = crate::gateway::GatewayMetrics::register(&metrics.registry);
        let messages_out = crate::publish::coalescer(
            publisher.clone(),
            Route::Messages,
            metrics.publish_failures.clone(),
        );
        let requests_out = crate::publish::coalescer(
            publisher.clone(),
            Route::Requests,
            gateway_metrics.publish_failures.clone(),
        );
        Self {
            settings,
            pool,
            publisher,
            metrics,
            gateway_metrics,
            bootstrap_key_hash,
            default_org,
            keys: TtlCache::new(Duration::from_secs(10)),
            unknown_keys: TtlCache::bounded(Duration::from_secs(5), 10_000),
            app_orgs: TtlCache::new(Duration::from_secs(5)),
            message_quotas: TtlCache::new(Duration::from_secs(5)),
            schemas: TtlCache::new(Duration::from_secs(5)),
            sources: TtlCache::new(Duration::from_secs(5)),
            cipher,
            batcher,
            requests,
            messages_out,
            requests_out,
            public_url,
            gateway_url: String::new(),
            stopping: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// A stored endpoint secret, opened (a failure is logged without the secret).
    pub fn open_secret(
        &self,
        endpoint_id: uuid::Uuid,
        sealed: &str,
    ) -> Result<String, crate::ApiError> {
        self.cipher.open(sealed).map_err(|e| {
            tracing::error!(endpoint_id = %endpoint_id, error = %e, "cannot open a stored secret");
            crate::ApiError::new(
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
            )
        })
    }

    /// Drops a source from the cache after a change to it.
    pub fn forget_source(&self, id: Uuid) {
        self.sources.remove_where(|k| *k == id);
    }

    pub async fn client(&self) -> Result<hookd_db::Client, crate::ApiError> {
        Ok(self.pool.get().await.map_err(hookd_db::DbError::from)?)
    }
}
