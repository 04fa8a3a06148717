use super::table::Table;
use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

/// A connection as stored; `rules` as the API took them.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub source_id: Uuid,
    pub destination_id: Uuid,
    pub rules: Value,
    pub disabled_at: Option<DateTime<Utc>>,
    pub paused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "c.id, c.organization_id, c.name, c.description, c.source_id, \
    c.destination_id, c.rules, c.disabled_at, c.paused_at, c.created_at, c.updated_at";

const TABLE: Table<Connection> = Table {
    name: "gw_connections",
    alias: "c",
    columns: COLUMNS,
    from_row,
};

/// What lists of connections filter on besides their columns: `full_name` is
/// `"<source name> -> <name>"`.
pub const FULL_NAME: &str =
    "((SELECT s.name FROM gw_sources s WHERE s.id = c.source_id) || ' -> ' || c.name)";

fn from_row(r: &Row) -> Connection {
    Connection {
        id: r.get("id"),
        organization_id: r.get("organization_id"),
        name: r.get("name"),
        description: r.get("description"),
        source_id: r.get("source_id"),
        destination_id: r.get("destination_id"),
        rules: r.get("rules"),
        disabled_at: r.get("disabled_at"),
        paused_at: r.get("paused_at"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

pub async fn insert(client: &impl GenericClient, c: &Connection) -> Result<Connection, DbError> {
    let row = client
        .query_one(
            &format!(
                "INSERT INTO gw_connections AS c (id, organization_id, name, description,
                    source_id, destination_id, rules, disabled_at, paused_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
            ),
            &[
                &c.id,
                &c.organization_id,
                &c.name,
                &c.description,
                &c.source_id,
                &c.destination_id,
                &c.rules,
                &c.disabled_at,
                &c.paused_at,
            ],
        )
        .await?;
    Ok(from_row(&row))
}

/// Writes name, description, destination and rules over the stored connection.
pub async fn update(client: &impl GenericClient, c: &Connection) -> Result<Connection, DbError> {
    client
        .query_opt(
            &format!(
                "UPDATE gw_connections c SET name = $3, description = $4, destination_id = $5,
                    rules = $6, updated_at = now()
                 WHERE c.id = $1 AND c.organization_id = $2 RETURNING {COLUMNS}"
            ),
            &[
                &c.id,
                &c.organization_id,
                &c.name,
                &c.description,
                &c.destination_id,
                &c.rules,
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
) -> Result<Connection, DbError> {
    TABLE.get(client, organization_id, id).await
}

pub async fn find_by_name(
    client: &impl GenericClient,
    source_id: Uuid,
    name: &str,
) -> Result<Option<Connection>, DbError> {
    Ok(client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM gw_connections c WHERE c.source_id = $1 AND c.name = $2"
            ),
            &[&source_id, &name],
        )
        .await?
        .map(|r| from_row(&r)))
}

/// The connections of a source (the inbound router's read).
pub async fn of_source(
    client: &impl GenericClient,
    source_id: Uuid,
) -> Result<Vec<Connection>, DbError> {
    Ok(client
        .query(
            &format!("SELECT {COLUMNS} FROM gw_connections c WHERE c.source_id = $1"),
            &[&source_id],
        )
        .await?
        .iter()
        .map(from_row)
        .collect())
}

/// The list condition shared by `list` and `count` (`$2`: with disabled ones).
const LISTED: &str = "($2 OR c.disabled_at IS NULL)";

pub async fn list(
    client: &impl GenericClient,
    organization_id: Uuid,
    with_disabled: bool,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Connection>, DbError> {
    TABLE
        .list(
            client,
            organization_id,
            LISTED,
            params![with_disabled],
            filters,
            page,
        )
        .await
}

/// How many connections the filters select (pagination aside).
pub async fn count(
    client: &impl GenericClient,
    organization_id: Uuid,
    with_disabled: bool,
    filters: &[Filter],
) -> Result<i64, DbError> {
    crate::list::count(
        client,
        &format!("SELECT count(*) FROM gw_connections c WHERE c.organization_id = $1 AND {LISTED}"),
        params![organization_id, with_disabled],
        filters,
    )
    .await
}

/// Sets or clears `disabled_at` (`column` = `disabled_at`) or `paused_at`.
pub async fn set_flag(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
    paused: bool,
    on: bool,
) -> Result<Connection, DbError> {
    let column = if paused { "paused_at" } else { "disabled_at" };
    TABLE
        .set_time(client, organization_id, id, column, on)
        .await
}

pub async fn delete(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(), DbError> {
    TABLE.delete(client, organization_id, id).await
}
