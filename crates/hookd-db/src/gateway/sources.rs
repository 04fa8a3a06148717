use super::table::Table;
use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

/// A source as stored. `verification_configs` is sealed JSON.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub verification_type: Option<String>,
    pub verification_configs: Option<String>,
    pub allowed_http_methods: Vec<String>,
    pub custom_response: Option<Value>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "s.id, s.organization_id, s.name, s.description, s.verification_type, \
    s.verification_configs, s.allowed_http_methods, s.custom_response, s.disabled_at, \
    s.created_at, s.updated_at";

const TABLE: Table<Source> = Table {
    name: "gw_sources",
    alias: "s",
    columns: COLUMNS,
    from_row,
};

fn from_row(r: &Row) -> Source {
    Source {
        id: r.get("id"),
        organization_id: r.get("organization_id"),
        name: r.get("name"),
        description: r.get("description"),
        verification_type: r.get("verification_type"),
        verification_configs: r.get("verification_configs"),
        allowed_http_methods: r.get("allowed_http_methods"),
        custom_response: r.get("custom_response"),
        disabled_at: r.get("disabled_at"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// Inserts `s` (its id and organization set by the caller; times are the database's).
pub async fn insert(client: &impl GenericClient, s: &Source) -> Result<Source, DbError> {
    let row = client
        .query_one(
            &format!(
                "INSERT INTO gw_sources AS s (id, organization_id, name, description,
                    verification_type, verification_configs, allowed_http_methods,
                    custom_response, disabled_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
            ),
            &[
                &s.id,
                &s.organization_id,
                &s.name,
                &s.description,
                &s.verification_type,
                &s.verification_configs,
                &s.allowed_http_methods,
                &s.custom_response,
                &s.disabled_at,
            ],
        )
        .await?;
    Ok(from_row(&row))
}

/// Writes every field of `s` over the stored source of the same id and organization.
pub async fn update(client: &impl GenericClient, s: &Source) -> Result<Source, DbError> {
    client
        .query_opt(
            &format!(
                "UPDATE gw_sources s SET name = $3, description = $4, verification_type = $5,
                    verification_configs = $6, allowed_http_methods = $7, custom_response = $8,
                    disabled_at = $9, updated_at = now()
                 WHERE s.id = $1 AND s.organization_id = $2 RETURNING {COLUMNS}"
            ),
            &[
                &s.id,
                &s.organization_id,
                &s.name,
                &s.description,
                &s.verification_type,
                &s.verification_configs,
                &s.allowed_http_methods,
                &s.custom_response,
                &s.disabled_at,
            ],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Source, DbError> {
    TABLE.get(client, organization_id, id).await
}

/// A source by id alone, for its public URL (no key there).
pub async fn get_public(client: &impl GenericClient, id: Uuid) -> Result<Source, DbError> {
    client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM gw_sources s WHERE s.id = $1"),
            &[&id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn find_by_name(
    client: &impl GenericClient,
    organization_id: Uuid,
    name: &str,
) -> Result<Option<Source>, DbError> {
    TABLE.find(client, organization_id, "name", &name).await
}

/// The sources of these ids (of the organization), in no particular order.
pub async fn get_many(
    client: &impl GenericClient,
    organization_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Source>, DbError> {
    TABLE.get_many(client, organization_id, ids).await
}

/// Lists; disabled sources only when `with_disabled`.
pub async fn list(
    client: &impl GenericClient,
    organization_id: Uuid,
    with_disabled: bool,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Source>, DbError> {
    let cond = "($2 OR s.disabled_at IS NULL)";
    TABLE
        .list(
            client,
            organization_id,
            cond,
            params![with_disabled],
            filters,
            page,
        )
        .await
}

/// Sets or clears `disabled_at`.
pub async fn set_disabled(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
    disabled: bool,
) -> Result<Source, DbError> {
    TABLE
        .set_time(client, organization_id, id, "disabled_at", disabled)
        .await
}

/// Deletes the source and (by cascade) its connections.
pub async fn delete(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(), DbError> {
    TABLE.delete(client, organization_id, id).await
}
