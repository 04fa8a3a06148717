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

/// An event type to store (checked by the API).
#[derive(Debug, Default, Clone, Copy)]
pub struct NewEventType<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub schema: Option<&'a Value>,
    /// `{"2.0": {...}}`; `None` stores none.
    pub schemas: Option<&'a Value>,
    pub example: Option<&'a Value>,
    /// `{"2.0": {...}}`; `None` stores none.
    pub examples: Option<&'a Value>,
}

pub async fn create(
    client: &impl GenericClient,
    app_id: Uuid,
    e: &NewEventType<'_>,
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
                &e.name,
                &e.description,
                &e.schema,
                &e.example,
                &e.schemas,
                &e.examples,
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

/// A change of an event type: `None` keeps a field; `schema: Some(None)` removes the schema
/// (`example` likewise; `schemas: Some(None)` removes every per-version schema, `examples`
/// every per-version example).
#[derive(Debug, Default, Clone, Copy)]
pub struct EventTypeUpdate<'a> {
    pub description: Option<Option<&'a str>>,
    pub schema: Option<Option<&'a Value>>,
    pub schemas: Option<Option<&'a Value>>,
    pub example: Option<Option<&'a Value>>,
    pub examples: Option<Option<&'a Value>>,
}

/// Changes what `u` gives.
pub async fn update(
    client: &impl GenericClient,
    app_id: Uuid,
    name: &str,
    u: &EventTypeUpdate<'_>,
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
                &u.description.is_some(),
                &u.description.flatten(),
                &u.schema.is_some(),
                &u.schema.flatten(),
                &u.example.is_some(),
                &u.example.flatten(),
                &u.schemas.is_some(),
                &u.schemas.flatten(),
                &u.examples.is_some(),
                &u.examples.flatten(),
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
