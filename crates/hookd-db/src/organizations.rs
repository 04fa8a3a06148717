use crate::DbError;
use deadpool_postgres::GenericClient;
use hookd_domain::{new_id, Organization};
use tokio_postgres::Row;
use uuid::Uuid;

pub const DEFAULT_NAME: &str = "default";

fn from_row(r: &Row) -> Organization {
    Organization {
        id: r.get("id"),
        name: r.get("name"),
        created_at: r.get("created_at"),
    }
}

pub async fn create(client: &impl GenericClient, name: &str) -> Result<Organization, DbError> {
    let row = client
        .query_one(
            "INSERT INTO organizations (id, name) VALUES ($1, $2) RETURNING id, name, created_at",
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

pub async fn list(
    client: &impl GenericClient,
    filters: &[crate::Filter],
    page: &crate::Page,
) -> Result<crate::Listed<Organization>, DbError> {
    crate::list::list(
        client,
        "SELECT o.id, o.name, o.created_at FROM organizations o WHERE true",
        "o",
        vec![],
        filters,
        page,
        from_row,
    )
    .await
}
