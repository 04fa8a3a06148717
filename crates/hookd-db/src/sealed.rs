//! The sealed columns, read and rewritten in pages by `hookd reseal` when the encryption key
//! changes. Every sealed value in the schema is listed here, so a re-encryption misses none.

use crate::DbError;
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// An endpoint's stored secrets, as they are in the row.
#[derive(Debug, Clone)]
pub struct EndpointSecrets {
    pub id: Uuid,
    pub secret: String,
    pub previous_secret: Option<String>,
}

/// Up to `limit` endpoints after `after` (by id), for paging through the table.
pub async fn endpoint_secrets_page(
    client: &impl GenericClient,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<EndpointSecrets>, DbError> {
    let rows = client
        .query(
            "SELECT id, secret, previous_secret FROM endpoints
             WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT $2",
            &[&after, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| EndpointSecrets {
            id: r.get("id"),
            secret: r.get("secret"),
            previous_secret: r.get("previous_secret"),
        })
        .collect())
}

/// Replaces an endpoint's stored secrets with `new`, only if the row still holds `old` (a
/// rotation in between wins; the next reseal run picks the row up). True when it was replaced.
/// `updated_at` is left alone: the secrets themselves did not change.
pub async fn replace_endpoint_secrets(
    client: &impl GenericClient,
    old: &EndpointSecrets,
    new: &EndpointSecrets,
) -> Result<bool, DbError> {
    let n = client
        .execute(
            "UPDATE endpoints SET secret = $4, previous_secret = $5
             WHERE id = $1 AND secret = $2 AND previous_secret IS NOT DISTINCT FROM $3",
            &[
                &old.id,
                &old.secret,
                &old.previous_secret,
                &new.secret,
                &new.previous_secret,
            ],
        )
        .await?;
    Ok(n == 1)
}

/// Single sealed columns (nullable text) as (table, uuid key column, column): the gateway's
/// source verification configs, destination auth configs and signing secrets. Fixed names,
/// never from input.
pub const SEALED_COLUMNS: &[(&str, &str, &str)] = &[
    ("gw_sources", "id", "verification_configs"),
    ("gw_destinations", "id", "auth_config"),
    ("gw_signing_secrets", "organization_id", "secret"),
    ("gw_signing_secrets", "organization_id", "previous"),
];

/// Up to `limit` (id, sealed value) of `table.column` after `after`, skipping NULLs.
pub async fn column_page(
    client: &impl GenericClient,
    (table, key, column): (&str, &str, &str),
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(Uuid, String)>, DbError> {
    let rows = client
        .query(
            &format!(
                "SELECT {key}, {column} FROM {table}
                 WHERE {column} IS NOT NULL AND ($1::uuid IS NULL OR {key} > $1)
                 ORDER BY {key} LIMIT $2"
            ),
            &[&after, &limit],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Replaces `table.column` of row `id` with `new` if it still holds `old`.
pub async fn replace_column(
    client: &impl GenericClient,
    (table, key, column): (&str, &str, &str),
    id: Uuid,
    old: &str,
    new: &str,
) -> Result<bool, DbError> {
    let n = client
        .execute(
            &format!("UPDATE {table} SET {column} = $3 WHERE {key} = $1 AND {column} = $2"),
            &[&id, &old, &new],
        )
        .await?;
    Ok(n == 1)
}
