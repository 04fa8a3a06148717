use crate::{params, DbError, Filter, Listed, Page};
use deadpool_postgres::GenericClient;
use hookd_domain::{new_id, EventType};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

const COLUMNS: &str =
    "e.id, e.name, e.description, e.schema, e.schemas, e.example, e.examples, e.created_at,
     e.updated_at";

fn from_row(r: &Row) -> EventType {
    EventType {
        id: r.get("id"),
        name: r.get("name"),
        description: r.get("description"),
        schema: r.get("schema"),
        // Always an object of schemas (the API stores nothing else).
        schemas: serde_json::from_value(r.get::<_, Value>("schemas")).unwrap_or_default(),
        example: r.get("example"),
        examples: serde_json::from_value(r.get::<_, Value>("examples")).unwrap_or_default(),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

pub async fn create(
    client: &impl GenericClient,
    app_id: Uuid,
    name: &str,
    description: Option<&str>,
    schema: Option<&Value>,
    schemas: Option<&Value>,
    example: Option<&Value>,
    examples: Option<&Value>,
) -> Result<EventType, DbError> {
    let row = client
        .query_one(
            &format!(
                "INSERT INTO event_types AS e (id, app_id, name, description, schema, schemas,
                    example, examples)
                 VALUES ($1, $2, $3, $4, $5, COALESCE($7, '{{}}'::jsonb), $6,
                    COALESCE($8, '{{}}'::jsonb))
                 RETURNING {COLUMNS}"
            ),
            &[
                &new_id(),
                &app_id,
                &name,
                &description,
                &schema,
                &example,
                &schemas,
                &examples,
            ],
        )
        .await?;
    Ok(from_row(&row))
}

pub async fn get(
    client: &impl GenericClient,
    app_id: Uuid,
    name: &str,
) -> Result<EventType, DbError> {
    client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM event_types e WHERE e.app_id = $1 AND e.name = $2"),
            &[&app_id, &name],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

/// The names among `names` that the app has not defined.
pub async fn missing(
    client: &impl GenericClient,
    app_id: Uuid,
    names: &[String],
) -> Result<Vec<String>, DbError> {
    let rows = client
        .query(
            "SELECT n FROM unnest($2::text[]) AS n
             WHERE NOT EXISTS (SELECT 1 FROM event_types e WHERE e.app_id = $1 AND e.name = n)",
            &[&app_id, &names],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

pub async fn list(
    client: &impl GenericClient,
    app_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<EventType>, DbError> {
    crate::list::list(
        client,
        &format!("SELECT {COLUMNS} FROM event_types e WHERE e.app_id = $1"),
        "e",
        params![app_id],
        filters,
        page,
        from_row,
    )
    .await
}

/// Changes what is given; `schema: Some(None)` removes the schema (`example` likewise;
/// `schemas: Some(None)` removes every per-version schema, `examples` every per-version
/// example).
pub async fn update(
    client: &impl GenericClient,
    app_id: Uuid,
    name: &str,
    description: Option<Option<&str>>,
    schema: Option<Option<&Value>>,
    schemas: Option<Option<&Value>>,
    example: Option<Option<&Value>>,
    examples: Option<Option<&Value>>,
) -> Result<EventType, DbError> {
    client
        .query_opt(
            &format!(
                "UPDATE event_types e SET
                    description = CASE WHEN $3 THEN $4 ELSE e.description END,
                    schema = CASE WHEN $5 THEN $6 ELSE e.schema END,
                    example = CASE WHEN $7 THEN $8 ELSE e.example END,
                    schemas = CASE WHEN $9 THEN COALESCE($10, '{{}}'::jsonb) ELSE e.schemas END,
                    examples = CASE WHEN $11 THEN COALESCE($12, '{{}}'::jsonb) ELSE e.examples END,
                    updated_at = now()
                 WHERE e.app_id = $1 AND e.name = $2 RETURNING {COLUMNS}"
            ),
            &[
                &app_id,
                &name,
                &description.is_some(),
                &description.flatten(),
                &schema.is_some(),
                &schema.flatten(),
                &example.is_some(),
                &example.flatten(),
                &schemas.is_some(),
                &schemas.flatten(),
                &examples.is_some(),
                &examples.flatten(),
            ],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn delete(client: &impl GenericClient, app_id: Uuid, name: &str) -> Result<(), DbError> {
    let n = client
        .execute(
            "DELETE FROM event_types WHERE app_id = $1 AND name = $2",
            &[&app_id, &name],
        )
        .await?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
