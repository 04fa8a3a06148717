//! The organization's gateway signing secret (`x-hookdeck-signature`), sealed at rest. Made on
//! first use; a rotation keeps the old one as `previous` for a grace period.

use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// The stored secrets (sealed) and their revision.
#[derive(Debug, Clone)]
pub struct SigningSecret {
    pub secret: String,
    pub previous: Option<String>,
    pub previous_until: Option<DateTime<Utc>>,
    pub revision: i64,
}

fn from_row(r: &tokio_postgres::Row) -> SigningSecret {
    SigningSecret {
        secret: r.get("secret"),
        previous: r.get("previous"),
        previous_until: r.get("previous_until"),
        revision: r.get("revision"),
    }
}

/// The organization's secret; `sealed_new` is stored first when it has none (concurrent first
/// uses agree on one).
pub async fn get_or_create(
    client: &impl GenericClient,
    organization_id: Uuid,
    sealed_new: &str,
) -> Result<SigningSecret, DbError> {
    client
        .execute(
            "INSERT INTO gw_signing_secrets (organization_id, secret) VALUES ($1, $2)
             ON CONFLICT (organization_id) DO NOTHING",
            &[&organization_id, &sealed_new],
        )
        .await?;
    client
        .query_opt(
            "SELECT secret, previous, previous_until, revision FROM gw_signing_secrets
             WHERE organization_id = $1",
            &[&organization_id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

/// Replaces the secret with `sealed_new`; the old one signs too until `previous_until`.
pub async fn rotate(
    client: &impl GenericClient,
    organization_id: Uuid,
    sealed_new: &str,
    previous_until: DateTime<Utc>,
) -> Result<SigningSecret, DbError> {
    client
        .query_opt(
            "INSERT INTO gw_signing_secrets AS g (organization_id, secret) VALUES ($1, $2)
             ON CONFLICT (organization_id) DO UPDATE SET previous = g.secret,
                previous_until = $3, secret = EXCLUDED.secret, revision = g.revision + 1,
                updated_at = now()
             RETURNING secret, previous, previous_until, revision",
            &[&organization_id, &sealed_new, &previous_until],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}
