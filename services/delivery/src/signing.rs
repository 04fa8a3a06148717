//! The worker's own cache of what signing a webhook to an endpoint takes (its secrets opened,
//! its custom headers), keyed by endpoint. Secrets are sealed at rest and never ride the broker:
//! a job carries the endpoint's revision, and a cached entry older than that is read again, so a
//! rotation or new headers take effect from the first job built after them. In the steady state
//! a send reads nothing.

use hookd_db::{DbError, Pool};
use hookd_signing::{AtRestError, SecretCipher, SigningError, SigningKey};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long an entry serves without a newer revision asking for a reload: bounds how long a
/// change made while the router's view lagged can go unseen, and the memory of deleted endpoints.
const TTL: Duration = Duration::from_secs(300);
/// Entries kept at most before expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// What signing one endpoint's webhooks takes.
pub struct Signing {
    pub keys: Vec<SigningKey>,
    pub headers: Vec<(String, String)>,
    revision: i64,
    valid_until: Instant,
}

#[derive(Debug, thiserror::Error)]
pub enum SigningLookupError {
    /// The secret was sealed under a key this worker does not have (wrong or missing
    /// encryption key): the webhook cannot be signed, so it is not sent.
    #[error("the endpoint's signing secret cannot be opened ({0}); not sent unsigned")]
    Sealed(#[from] AtRestError),
    #[error("the endpoint's signing secret is malformed ({0}); not sent unsigned")]
    Malformed(#[from] SigningError),
    /// The endpoint was deleted after the job was built.
    #[error("the endpoint no longer exists")]
    Gone,
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for SigningLookupError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => SigningLookupError::Gone,
            e => SigningLookupError::Db(e),
        }
    }
}

impl SigningLookupError {
    /// Whether the try counts as a failed attempt (rather than a job to requeue or drop).
    pub fn fails_the_attempt(&self) -> bool {
        matches!(self, Self::Sealed(_) | Self::Malformed(_))
    }
}

pub struct SigningCache {
    pool: Pool,
    cipher: SecretCipher,
    entries: RwLock<HashMap<Uuid, Arc<Signing>>>,
}

impl SigningCache {
    pub fn new(pool: Pool, cipher: SecretCipher) -> Self {
        Self {
            pool,
            cipher,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The endpoint's signing material, at least as new as `revision`.
    pub async fn get(
        &self,
        endpoint_id: Uuid,
        revision: i64,
    ) -> Result<Arc<Signing>, SigningLookupError> {
        if let Some(entry) = self
            .entries
            .read()
            .expect("signing cache")
            .get(&endpoint_id)
        {
            if entry.revision >= revision && entry.valid_until > Instant::now() {
                return Ok(entry.clone());
            }
        }
        let entry = Arc::new(self.load(endpoint_id).await?);
        let mut entries = self.entries.write().expect("signing cache");
        if entries.len() > SWEEP_ABOVE {
            let now = Instant::now();
            entries.retain(|_, e| e.valid_until > now);
        }
        // A concurrent load may have read a newer revision: keep the newest.
        match entries.get(&endpoint_id) {
            Some(held) if held.revision > entry.revision => Ok(held.clone()),
            _ => {
                entries.insert(endpoint_id, entry.clone());
                Ok(entry)
            }
        }
    }

    async fn load(&self, endpoint_id: Uuid) -> Result<Signing, SigningLookupError> {
        let stored = {
            let client = self.pool.get().await.map_err(DbError::from)?;
            hookd_db::endpoints::signing(&client, endpoint_id).await?
        };
        let keys = stored
            .sealed_secrets
            .iter()
            .map(|sealed| Ok(SigningKey::parse(&self.cipher.open(sealed)?)?))
            .collect::<Result<Vec<_>, SigningLookupError>>()?;
        let headers = stored
            .headers
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        // The previous secret stops signing when its grace ends, cached or not.
        let mut valid_until = Instant::now() + TTL;
        if let Some(expires) = stored.previous_expires_at {
            let left = (expires - chrono::Utc::now()).to_std().unwrap_or_default();
            valid_until = valid_until.min(Instant::now() + left);
        }
        Ok(Signing {
            keys,
            headers,
            revision: stored.revision,
            valid_until,
        })
    }
}
