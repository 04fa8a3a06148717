use crate::{params, DbError, Filter, Listed, Page};
use deadpool_postgres::GenericClient;
use hookd_domain::{new_id, ApiKey};
use tokio_postgres::Row;
use uuid::Uuid;

/// Who a key speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyOwner {
    pub key_id: Uuid,
    pub organization_id: Uuid,
    pub is_admin: bool,
}

fn from_row(r: &Row) -> ApiKey {
    ApiKey {
        id: r.get("id"),
        name: r.get("name"),
        created_at: r.get("created_at"),
    }
}

pub async fn create(
    client: &impl GenericClient,
    organization_id: Uuid,
    name: &str,
    key_hash: &[u8],
    is_admin: bool,
) -> Result<ApiKey, DbError> {
    let row = client
        .query_one(
            "INSERT INTO api_keys (id, organization_id, name, key_hash, is_admin)
             VALUES ($1, $2, $3, $4, $5) RETURNING id, name, created_at",
            &[&new_id(), &organization_id, &name, &key_hash, &is_admin],
        )
        .await?;
    Ok(from_row(&row))
}

pub async fn find_by_hash(
    client: &impl GenericClient,
    key_hash: &[u8],
) -> Result<Option<KeyOwner>, DbError> {
    let row = client
        .query_opt(
            "SELECT id, organization_id, is_admin FROM api_keys WHERE key_hash = $1",
            &[&key_hash],
        )
        .await?;
    Ok(row.map(|r| KeyOwner {
        key_id: r.get(0),
        organization_id: r.get(1),
        is_admin: r.get(2),
    }))
}

pub async fn list(
    client: &impl GenericClient,
    organization_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<ApiKey>, DbError> {
    crate::list::list(
        client,
        "SELECT k.id, k.name, k.created_at FROM api_keys k WHERE k.organization_id = $1",
        "k",
        params![organization_id],
        filters,
        page,
        from_row,
    )
    .await
}

/// Deletes a key of the organization; returns its hash so caches can forget it at once.
pub async fn delete(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Vec<u8>, DbError> {
    client
        .query_opt(
            "DELETE FROM api_keys WHERE id = $1 AND organization_id = $2 RETURNING key_hash",
            &[&id, &organization_id],
        )
        .await?
        .map(|r| r.get(0))
        .ok_or(DbError::NotFound)
}
