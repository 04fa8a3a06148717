use super::table::Table;
use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

/// A destination as stored. `auth_config` is sealed JSON.
#[derive(Debug, Clone)]
pub struct Destination {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub url: Option<String>,
    pub cli_path: Option<String>,
    pub http_method: Option<String>,
    pub rate_limit: Option<i32>,
    pub rate_limit_period: Option<String>,
    pub path_forwarding_disabled: bool,
    pub auth_type: String,
    pub auth_config: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "d.id, d.organization_id, d.name, d.description, d.url, d.cli_path, \
    d.http_method, d.rate_limit, d.rate_limit_period, d.path_forwarding_disabled, d.auth_type, \
    d.auth_config, d.disabled_at, d.created_at, d.updated_at";

const TABLE: Table<Destination> = Table {
    name: "gw_destinations",
    alias: "d",
    columns: COLUMNS,
    from_row,
};

fn from_row(r: &Row) -> Destination {
    Destination {
        id: r.get("id"),
        organization_id: r.get("organization_id"),
        name: r.get("name"),
        description: r.get("description"),
        url: r.get("url"),
        cli_path: r.get("cli_path"),
        http_method: r.get("http_method"),
        rate_limit: r.get("rate_limit"),
        rate_limit_period: r.get("rate_limit_period"),
        path_forwarding_disabled: r.get("path_forwarding_disabled"),
        auth_type: r.get("auth_type"),
        auth_config: r.get("auth_config"),
        disabled_at: r.get("disabled_at"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

pub async fn insert(client: &impl GenericClient, d: &Destination) -> Result<Destination, DbError> {
    let row = client
        .query_one(
            &format!(
                "INSERT INTO gw_destinations AS d (id, organization_id, name, description, url,
                    cli_path, http_method, rate_limit, rate_limit_period,
                    path_forwarding_disabled, auth_type, auth_config, disabled_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 RETURNING {COLUMNS}"
            ),
            &[
                &d.id,
                &d.organization_id,
                &d.name,
                &d.description,
                &d.url,
                &d.cli_path,
                &d.http_method,
                &d.rate_limit,
                &d.rate_limit_period,
                &d.path_forwarding_disabled,
                &d.auth_type,
                &d.auth_config,
                &d.disabled_at,
            ],
        )
        .await?;
    Ok(from_row(&row))
}

/// Writes every field of `d` over the stored destination of the same id and organization.
pub async fn update(client: &impl GenericClient, d: &Destination) -> Result<Destination, DbError> {
    client
        .query_opt(
            &format!(
                "WITH updated AS (
                    UPDATE gw_destinations d SET name = $3, description = $4, url = $5,
                        cli_path = $6, http_method = $7, rate_limit = $8,
                        rate_limit_period = $9, path_forwarding_disabled = $10,
                        auth_type = $11, auth_config = $12, disabled_at = $13,
                        updated_at = now()
                    WHERE d.id = $1 AND d.organization_id = $2 RETURNING {COLUMNS}
                 ), woken AS (
                    -- A CLI destination given a url: its events parked for a CLI are due now,
                    -- for the scheduler to send there.
                    UPDATE gw_events e SET next_attempt_at = now(), updated_at = now()
                    FROM updated u
                    WHERE u.url IS NOT NULL AND e.destination_id = u.id
                      AND e.status = 'QUEUED' AND NOT e.queued AND e.next_attempt_at IS NULL
                 )
                 SELECT * FROM updated"
            ),
            &[
                &d.id,
                &d.organization_id,
                &d.name,
                &d.description,
                &d.url,
                &d.cli_path,
                &d.http_method,
                &d.rate_limit,
                &d.rate_limit_period,
                &d.path_forwarding_disabled,
                &d.auth_type,
                &d.auth_config,
                &d.disabled_at,
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
) -> Result<Destination, DbError> {
    TABLE.get(client, organization_id, id).await
}

pub async fn find_by_name(
    client: &impl GenericClient,
    organization_id: Uuid,
    name: &str,
) -> Result<Option<Destination>, DbError> {
    TABLE.find(client, organization_id, "name", &name).await
}

/// The destinations of these ids (of the organization), in no particular order.
pub async fn get_many(
    client: &impl GenericClient,
    organization_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<Destination>, DbError> {
    TABLE.get_many(client, organization_id, ids).await
}

/// Lists; disabled destinations only when `with_disabled`.
pub async fn list(
    client: &impl GenericClient,
    organization_id: Uuid,
    with_disabled: bool,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Destination>, DbError> {
    let cond = "($2 OR d.disabled_at IS NULL)";
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
) -> Result<Destination, DbError> {
    TABLE
        .set_time(client, organization_id, id, "disabled_at", disabled)
        .await
}

/// Deletes the destination and (by cascade) its connections.
pub async fn delete(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(), DbError> {
    TABLE.delete(client, organization_id, id).await
}
