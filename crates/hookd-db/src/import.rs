//! Import (issue 17): the lookups that make an import idempotent by name. Each runs in the
//! import's transaction, beside the resources' own `create`.

use crate::DbError;
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// Whether the app has an event type of this name.
pub async fn event_type_exists(
    client: &impl GenericClient,
    app_id: Uuid,
    name: &str,
) -> Result<bool, DbError> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM event_types WHERE app_id = $1 AND name = $2",
            &[&app_id, &name],
        )
        .await?
        .is_some())
}

/// The app's subscription of this name.
pub async fn subscription_named(
    client: &impl GenericClient,
    app_id: Uuid,
    name: &str,
) -> Result<Option<Uuid>, DbError> {
    Ok(client
        .query_opt(
            "SELECT id FROM subscriptions WHERE app_id = $1 AND name = $2",
            &[&app_id, &name],
        )
        .await?
        .map(|r| r.get(0)))
}

/// Whether the subscription has an endpoint at this URL for this version (what an import
/// takes as the same endpoint).
pub async fn endpoint_exists(
    client: &impl GenericClient,
    subscription_id: Uuid,
    url: &str,
    version: &str,
) -> Result<bool, DbError> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM endpoints WHERE subscription_id = $1 AND url = $2 AND version = $3",
            &[&subscription_id, &url, &version],
        )
        .await?
        .is_some())
}
