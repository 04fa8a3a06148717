//! The worker's cache of gateway secrets: each destination's auth credential (keyed by
//! destination, reloaded when a job carries a newer revision) and each organization's signing
//! secret (keyed by organization, likewise). Sealed at rest, never on the bus: a job carries
//! only the revisions. The signing secret is made here on first use when the API has not.

use base64::Engine;
use hookd_db::gateway::{dispatch, signing};
use hookd_db::{DbError, Pool};
use hookd_signing::{AtRestError, SecretCipher};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long an entry serves without a newer revision asking for a reload.
const TTL: Duration = Duration::from_secs(300);
const SWEEP_ABOVE: usize = 10_000;

/// A destination's credential, opened.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// HOOKDECK_SIGNATURE: the signature header alone.
    None,
    /// A header to add (`authorization: Basic ...`, `authorization: Bearer ...`, API key).
    Header(String, String),
    /// An API key in the query string.
    Query(String, String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credential([redacted])")
    }
}

/// The organization's signing secrets: the current one and, during a rotation's grace, the
/// previous one.
pub struct OrgSigning {
    pub current: String,
    pub previous: Option<String>,
}

struct Entry<T> {
    value: Arc<T>,
    revision: i64,
    valid_until: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("a gateway secret cannot be opened ({0})")]
    Sealed(#[from] AtRestError),
    #[error("a destination's auth config is malformed")]
    Malformed,
    /// The destination was deleted after the job was built.
    #[error("the destination no longer exists")]
    Gone,
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for SecretError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => SecretError::Gone,
            e => SecretError::Db(e),
        }
    }
}

pub struct GatewaySecrets {
    pool: Pool,
    cipher: SecretCipher,
    credentials: RwLock<HashMap<Uuid, Entry<Credential>>>,
    signing: RwLock<HashMap<Uuid, Entry<OrgSigning>>>,
}

fn cached<T>(map: &RwLock<HashMap<Uuid, Entry<T>>>, key: Uuid, revision: i64) -> Option<Arc<T>> {
    let map = map.read().expect("gateway secrets");
    let e = map.get(&key)?;
    (e.revision >= revision && e.valid_until > Instant::now()).then(|| e.value.clone())
}

fn store<T>(map: &RwLock<HashMap<Uuid, Entry<T>>>, key: Uuid, entry: Entry<T>) -> Arc<T> {
    let mut map = map.write().expect("gateway secrets");
    if map.len() > SWEEP_ABOVE {
        let now = Instant::now();
        map.retain(|_, e| e.valid_until > now);
    }
    let value = entry.value.clone();
    map.insert(key, entry);
    value
}

impl GatewaySecrets {
    pub fn new(pool: Pool, cipher: SecretCipher) -> Self {
        Self {
            pool,
            cipher,
            credentials: RwLock::default(),
            signing: RwLock::default(),
        }
    }

    /// The destination's credential, at least as new as `revision`.
    pub async fn credential(
        &self,
        destination_id: Uuid,
        revision: i64,
    ) -> Result<Arc<Credential>, SecretError> {
        if let Some(c) = cached(&self.credentials, destination_id, revision) {
            return Ok(c);
        }
        let stored = {
            let client = self.pool.get().await.map_err(DbError::from)?;
            dispatch::destination_auth(&client, destination_id).await?
        };
        let config: serde_json::Value = match &stored.config {
            Some(sealed) => serde_json::from_str(&self.cipher.open(sealed)?)
                .map_err(|_| SecretError::Malformed)?,
            None => serde_json::Value::Null,
        };
        let text = |k: &str| {
            config[k]
                .as_str()
                .map(str::to_owned)
                .ok_or(SecretError::Malformed)
        };
        let credential = match stored.auth_type.as_str() {
            "BASIC_AUTH" => {
                let pair = format!("{}:{}", text("username")?, text("password")?);
                Credential::Header(
                    "authorization".into(),
                    format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(pair)
                    ),
                )
            }
            "BEARER_TOKEN" => {
                Credential::Header("authorization".into(), format!("Bearer {}", text("token")?))
            }
            "API_KEY" if config["to"].as_str() == Some("query") => {
                Credential::Query(text("key")?, text("api_key")?)
            }
            "API_KEY" => Credential::Header(text("key")?, text("api_key")?),
            _ => Credential::None,
        };
        Ok(store(
            &self.credentials,
            destination_id,
            Entry {
                value: Arc::new(credential),
                revision: stored.revision,
                valid_until: Instant::now() + TTL,
            },
        ))
    }

    /// The organization's signing secrets, at least as new as `revision`; made on first use.
    pub async fn signing(
        &self,
        organization_id: Uuid,
        revision: i64,
    ) -> Result<Arc<OrgSigning>, SecretError> {
        if let Some(s) = cached(&self.signing, organization_id, revision) {
            return Ok(s);
        }
        let stored = {
            let client = self.pool.get().await.map_err(DbError::from)?;
            let fresh = self.cipher.seal(&hookd_signing::generate_gateway_secret());
            signing::get_or_create(&client, organization_id, &fresh).await?
        };
        let now = chrono::Utc::now();
        let previous = match (&stored.previous, stored.previous_until) {
            (Some(sealed), Some(until)) if until > now => Some(self.cipher.open(sealed)?),
            _ => None,
        };
        // The previous secret stops signing when its grace ends, cached or not.
        let mut valid_until = Instant::now() + TTL;
        if let (Some(_), Some(until)) = (&previous, stored.previous_until) {
            valid_until =
                valid_until.min(Instant::now() + (until - now).to_std().unwrap_or_default());
        }
        Ok(store(
            &self.signing,
            organization_id,
            Entry {
                value: Arc::new(OrgSigning {
                    current: self.cipher.open(&stored.secret)?,
                    previous,
                }),
                revision: stored.revision,
                valid_until,
            },
        ))
    }
}
