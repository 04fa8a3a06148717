//! An organization's operational webhook, stored as a hidden app (`apps.operational`) with one
//! subscription and one endpoint, so its events go through the router and the delivery
//! workers like any message. The events themselves are stored by the triggers of migration
//! 0014, in the transaction of each state change.

use crate::DbError;
use deadpool_postgres::GenericClient;
use hookd_domain::{new_id, EndpointStatus, OperationalWebhook, OPERATIONAL_VERSION};
use tokio_postgres::Row;
use uuid::Uuid;

/// The hidden app's name; apps are unique by name per organization, and this one is never
/// listed.
const APP_NAME: &str = "__hookd_operational__";
const SUBSCRIPTION_NAME: &str = "operational";

const SELECT: &str = "SELECT n.id, n.subscription_id, n.url, n.event_types, n.status,
        n.disabled_reason, n.secret, n.created_at, n.updated_at
     FROM apps a JOIN endpoints n ON n.app_id = a.id
     WHERE a.organization_id = $1 AND a.operational";

fn from_row(r: &Row) -> OperationalWebhook {
    OperationalWebhook {
        endpoint_id: r.get("id"),
        url: r.get("url"),
        event_types: r.get("event_types"),
        status: EndpointStatus::parse(r.get("status")).unwrap_or(EndpointStatus::Disabled),
        disabled_reason: r.get("disabled_reason"),
        secret: None,
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// The organization's operational webhook.
pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
) -> Result<OperationalWebhook, DbError> {
    client
        .query_opt(SELECT, &[&organization_id])
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

/// Where its secret is kept: (subscription id, endpoint id, sealed secret).
pub async fn sealed_secret(
    client: &impl GenericClient,
    organization_id: Uuid,
) -> Result<(Uuid, Uuid, String), DbError> {
    client
        .query_opt(SELECT, &[&organization_id])
        .await?
        .map(|r| (r.get("subscription_id"), r.get("id"), r.get("secret")))
        .ok_or(DbError::NotFound)
}

/// Creates the organization's operational webhook, or changes its URL and event types and
/// enables it again. `sealed_secret` is used only when it is created. Returns it and whether
/// it was created. Run it in a transaction: creation is three rows.
pub async fn put(
    client: &impl GenericClient,
    organization_id: Uuid,
    url: &str,
    event_types: &[String],
    sealed_secret: &str,
) -> Result<(OperationalWebhook, bool), DbError> {
    let changed = client
        .query_opt(
            "UPDATE endpoints n SET url = $2, event_types = $3, status = 'enabled',
                disabled_reason = NULL, failing_since = NULL, circuit_opened_at = NULL,
                updated_at = now()
             FROM apps a
             WHERE a.id = n.app_id AND a.organization_id = $1 AND a.operational
             RETURNING n.id, n.subscription_id, n.url, n.event_types, n.status,
                n.disabled_reason, n.secret, n.created_at, n.updated_at",
            &[&organization_id, &url, &event_types],
        )
        .await?;
    if let Some(row) = changed {
        return Ok((from_row(&row), false));
    }
    let (app_id, subscription_id) = (new_id(), new_id());
    client
        .execute(
            "INSERT INTO apps (id, organization_id, name, operational) VALUES ($1, $2, $3, true)",
            &[&app_id, &organization_id, &APP_NAME],
        )
        .await?;
    client
        .execute(
            "INSERT INTO subscriptions (id, app_id, name) VALUES ($1, $2, $3)",
            &[&subscription_id, &app_id, &SUBSCRIPTION_NAME],
        )
        .await?;
    let row = client
        .query_one(
            "INSERT INTO endpoints (id, subscription_id, app_id, url, version, status,
                event_types, secret)
             VALUES ($1, $2, $3, $4, $5, 'enabled', $6, $7)
             RETURNING id, subscription_id, url, event_types, status, disabled_reason, secret,
                created_at, updated_at",
            &[
                &new_id(),
                &subscription_id,
                &app_id,
                &url,
                &OPERATIONAL_VERSION,
                &event_types,
                &sealed_secret,
            ],
        )
        .await?;
    Ok((from_row(&row), true))
}

/// Removes the organization's operational webhook, with the events it was sent.
pub async fn delete(client: &impl GenericClient, organization_id: Uuid) -> Result<(), DbError> {
    let n = client
        .execute(
            "DELETE FROM apps WHERE organization_id = $1 AND operational",
            &[&organization_id],
        )
        .await?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
