use crate::{params, DbError, Filter, Listed, Page};
use deadpool_postgres::GenericClient;
use hookd_domain::{new_id, Subscription};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

const COLUMNS: &str = "s.id, s.app_id, s.name, s.metadata, s.created_at, s.updated_at";

fn from_row(r: &Row) -> Subscription {
    Subscription {
        id: r.get("id"),
        app_id: r.get("app_id"),
        name: r.get("name"),
        metadata: r.get("metadata"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

pub async fn create(
    client: &impl GenericClient,
    app_id: Uuid,
    name: &str,
    metadata: &Value,
) -> Result<Subscription, DbError> {
    let row = client
        .query_one(
            &format!(
                "INSERT INTO subscriptions AS s (id, app_id, name, metadata) VALUES ($1, $2, $3, $4)
                 RETURNING {COLUMNS}"
            ),
            &[&new_id(), &app_id, &name, &metadata],
        )
        .await?;
    Ok(from_row(&row))
}

/// A subscription of one of the organization's apps.
pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Subscription, DbError> {
    client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM subscriptions s JOIN apps a ON a.id = s.app_id
                 WHERE s.id = $1 AND a.organization_id = $2"
            ),
            &[&id, &organization_id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn list(
    client: &impl GenericClient,
    app_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Subscription>, DbError> {
    crate::list::list(
        client,
        &format!("SELECT {COLUMNS} FROM subscriptions s WHERE s.app_id = $1"),
        "s",
        params![app_id],
        filters,
        page,
        from_row,
    )
    .await
}

pub async fn update(
    client: &impl GenericClient,
    id: Uuid,
    name: Option<&str>,
    metadata: Option<&Value>,
) -> Result<Subscription, DbError> {
    client
        .query_opt(
            &format!(
                "UPDATE subscriptions s SET name = COALESCE($2, s.name),
                    metadata = COALESCE($3, s.metadata), updated_at = now()
                 WHERE s.id = $1 RETURNING {COLUMNS}"
            ),
            &[&id, &name, &metadata],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn delete(client: &impl GenericClient, id: Uuid) -> Result<(), DbError> {
    let n = client
        .execute("DELETE FROM subscriptions WHERE id = $1", &[&id])
        .await?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// The number of endpoints of each of these subscriptions (a page's worth).
pub async fn endpoint_counts(
    client: &impl GenericClient,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, i64>, DbError> {
    let rows = client
        .query(
            "SELECT subscription_id, count(*) FROM endpoints WHERE subscription_id = ANY($1)
             GROUP BY subscription_id",
            &[&ids],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
