use crate::{params, DbError, Filter, Listed, Page};
use deadpool_postgres::GenericClient;
use hookd_domain::{new_id, App};
use tokio_postgres::Row;
use uuid::Uuid;

const COLUMNS: &str = "a.id, a.name, a.created_at, a.updated_at";

// The organization's operational webhook app (`operational`) is hookd's, not the caller's:
// it is never listed, read, renamed or deleted here (see `crate::operational`).

fn from_row(r: &Row) -> App {
    App {
        id: r.get("id"),
        name: r.get("name"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

pub async fn create(
    client: &impl GenericClient,
    organization_id: Uuid,
    name: &str,
) -> Result<App, DbError> {
    let row = client
        .query_one(
            "INSERT INTO apps (id, organization_id, name) VALUES ($1, $2, $3)
             RETURNING id, name, created_at, updated_at",
            &[&new_id(), &organization_id, &name],
        )
        .await?;
    Ok(from_row(&row))
}

pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<App, DbError> {
    client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM apps a WHERE a.id = $1 AND a.organization_id = $2 \
                 AND NOT a.operational"
            ),
            &[&id, &organization_id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn list(
    client: &impl GenericClient,
    organization_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<App>, DbError> {
    crate::list::list(
        client,
        &format!("SELECT {COLUMNS} FROM apps a WHERE a.organization_id = $1 AND NOT a.operational"),
        "a",
        params![organization_id],
        filters,
        page,
        from_row,
    )
    .await
}

pub async fn rename(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
    name: &str,
) -> Result<App, DbError> {
    client
        .query_opt(
            "UPDATE apps a SET name = $3, updated_at = now()
             WHERE a.id = $1 AND a.organization_id = $2 AND NOT a.operational
             RETURNING id, name, created_at, updated_at",
            &[&id, &organization_id, &name],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn delete(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(), DbError> {
    let n = client
        .execute(
            "DELETE FROM apps WHERE id = $1 AND organization_id = $2 AND NOT operational",
            &[&id, &organization_id],
        )
        .await?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
