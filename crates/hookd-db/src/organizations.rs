use crate::DbError;
use deadpool_postgres::GenericClient;
use hookd_domain::{new_id, Organization, Quotas};
use tokio_postgres::Row;
use uuid::Uuid;

pub const DEFAULT_NAME: &str = "default";

const COLUMNS: &str = "o.id, o.name, o.payload_retention_days, o.max_messages_per_day,
    o.max_endpoints, o.max_apps, o.deleting_at, o.created_at";

fn from_row(r: &Row) -> Organization {
    Organization {
        id: r.get("id"),
        name: r.get("name"),
        payload_retention_days: r.get("payload_retention_days"),
        quotas: Quotas {
            messages_per_day: r.get("max_messages_per_day"),
            endpoints: r.get("max_endpoints"),
            apps: r.get("max_apps"),
        },
        deleting_at: r.get("deleting_at"),
        created_at: r.get("created_at"),
    }
}

pub async fn create(client: &impl GenericClient, name: &str) -> Result<Organization, DbError> {
    let row = client
        .query_one(
            &format!(
                "INSERT INTO organizations AS o (id, name) VALUES ($1, $2) RETURNING {COLUMNS}"
            ),
            &[&new_id(), &name],
        )
        .await?;
    Ok(from_row(&row))
}

/// The organization the bootstrap admin key owns, created on first start.
pub async fn ensure_default(client: &impl GenericClient) -> Result<Uuid, DbError> {
    client
        .execute(
            "INSERT INTO organizations (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&new_id(), &DEFAULT_NAME],
        )
        .await?;
    let row = client
        .query_one(
            "SELECT id FROM organizations WHERE name = $1",
            &[&DEFAULT_NAME],
        )
        .await?;
    Ok(row.get(0))
}

pub async fn get(client: &impl GenericClient, id: Uuid) -> Result<Organization, DbError> {
    client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM organizations o WHERE o.id = $1"),
            &[&id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn list(
    client: &impl GenericClient,
    filters: &[crate::Filter],
    page: &crate::Page,
) -> Result<crate::Listed<Organization>, DbError> {
    crate::list::list(
        client,
        &format!("SELECT {COLUMNS} FROM organizations o WHERE true"),
        "o",
        vec![],
        filters,
        page,
        from_row,
    )
    .await
}

/// A change of an organization's retention and plan: `None` leaves a field, `Some(None)`
/// clears it (the default retention, no limit).
#[derive(Debug, Default, Clone)]
pub struct PlanUpdate {
    pub payload_retention_days: Option<Option<i32>>,
    pub max_messages_per_day: Option<Option<i32>>,
    pub max_endpoints: Option<Option<i32>>,
    pub max_apps: Option<Option<i32>>,
}

pub async fn update_plan(
    client: &impl GenericClient,
    id: Uuid,
    u: &PlanUpdate,
) -> Result<Organization, DbError> {
    // `$n_set` says whether the field was given, so `null` can clear it.
    client
        .query_opt(
            &format!(
                "UPDATE organizations o SET
                    payload_retention_days = CASE WHEN $2 THEN $3 ELSE payload_retention_days END,
                    max_messages_per_day = CASE WHEN $4 THEN $5 ELSE max_messages_per_day END,
                    max_endpoints = CASE WHEN $6 THEN $7 ELSE max_endpoints END,
                    max_apps = CASE WHEN $8 THEN $9 ELSE max_apps END
                 WHERE o.id = $1 AND o.deleting_at IS NULL RETURNING {COLUMNS}"
            ),
            &[
                &id,
                &u.payload_retention_days.is_some(),
                &u.payload_retention_days.flatten(),
                &u.max_messages_per_day.is_some(),
                &u.max_messages_per_day.flatten(),
                &u.max_endpoints.is_some(),
                &u.max_endpoints.flatten(),
                &u.max_apps.is_some(),
                &u.max_apps.flatten(),
            ],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

/// Starts deprovisioning: marks the organization `deleting` and, in the same transaction,
/// deletes its API keys (the trigger tells every ingest replica to forget them and ends their
/// console sessions), its portal links, and disables its gateway sources, so nothing of it is
/// served from here on. The data goes in batches afterwards (the router's deprovision pass).
pub async fn mark_deleting(client: &impl GenericClient, id: Uuid) -> Result<Organization, DbError> {
    let row = client
        .query_opt(
            &format!(
                "UPDATE organizations o SET deleting_at = COALESCE(deleting_at, now())
                 WHERE o.id = $1 RETURNING {COLUMNS}"
            ),
            &[&id],
        )
        .await?
        .ok_or(DbError::NotFound)?;
    client
        .execute("DELETE FROM api_keys WHERE organization_id = $1", &[&id])
        .await?;
    client
        .execute(
            "DELETE FROM portal_links WHERE subscription_id IN (
                SELECT s.id FROM subscriptions s JOIN apps a ON a.id = s.app_id
                WHERE a.organization_id = $1)",
            &[&id],
        )
        .await?;
    client
        .execute(
            "UPDATE gw_sources SET disabled_at = now(), updated_at = now()
             WHERE organization_id = $1 AND disabled_at IS NULL",
            &[&id],
        )
        .await?;
    Ok(from_row(&row))
}
