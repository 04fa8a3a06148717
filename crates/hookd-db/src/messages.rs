use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use hookd_domain::Message;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

const COLUMNS: &str = "m.id, m.event_type, m.version, m.event_id, m.data, m.created_at";

fn from_row(r: &Row) -> Message {
    Message {
        id: r.get("id"),
        event_type: r.get("event_type"),
        version: r.get("version"),
        event_id: r.get("event_id"),
        data: r.get("data"),
        created_at: r.get("created_at"),
    }
}

/// A message to store. `created_at` is whole microseconds, as PostgreSQL keeps it, so the body
/// rendered from it is the same whether from memory or from the row.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: Uuid,
    pub app_id: Uuid,
    pub event_type: String,
    pub version: String,
    pub event_id: Option<String>,
    pub data: Value,
    pub endpoint_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Stores the message unless the app already has one with its `event_id`: then returns that
/// one and `false`. Concurrent sends of one `event_id` serialise on the unique index.
pub async fn insert(
    client: &impl GenericClient,
    m: &NewMessage,
) -> Result<(Message, bool), DbError> {
    let inserted = client
        .query_opt(
            &format!(
                "INSERT INTO messages AS m (id, app_id, event_type, version, event_id, data,
                    endpoint_id, task_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (app_id, event_id) WHERE event_id IS NOT NULL DO NOTHING
                 RETURNING {COLUMNS}"
            ),
            &[
                &m.id,
                &m.app_id,
                &m.event_type,
                &m.version,
                &m.event_id,
                &m.data,
                &m.endpoint_id,
                &m.task_id,
                &m.created_at,
            ],
        )
        .await?;
    if let Some(row) = inserted {
        return Ok((from_row(&row), true));
    }
    let row = client
        .query_one(
            &format!("SELECT {COLUMNS} FROM messages m WHERE m.app_id = $1 AND m.event_id = $2"),
            &[&m.app_id, &m.event_id],
        )
        .await?;
    Ok((from_row(&row), false))
}

pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Message, DbError> {
    client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM messages m JOIN apps a ON a.id = m.app_id
                 WHERE m.id = $1 AND a.organization_id = $2"
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
) -> Result<Listed<Message>, DbError> {
    crate::list::list(
        client,
        &format!("SELECT {COLUMNS} FROM messages m WHERE m.app_id = $1"),
        "m",
        params![app_id],
        filters,
        page,
        from_row,
    )
    .await
}

/// A stored message whose deliveries are not recorded yet, as the relay republishes it.
#[derive(Debug, Clone)]
pub struct Unrouted {
    pub message: Message,
    pub app_id: Uuid,
    pub endpoint_id: Option<Uuid>,
    pub task_id: Option<Uuid>,
}

/// Messages stored before `before` and still not routed: their bus notification was lost (or
/// is still queued behind a backlog; routing them twice is harmless).
pub async fn unrouted(
    client: &impl GenericClient,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Unrouted>, DbError> {
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS}, m.app_id, m.endpoint_id, m.task_id FROM messages m
                 WHERE m.routed_at IS NULL AND m.created_at < $1
                 ORDER BY m.created_at LIMIT $2"
            ),
            &[&before, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Unrouted {
            message: from_row(r),
            app_id: r.get("app_id"),
            endpoint_id: r.get("endpoint_id"),
            task_id: r.get("task_id"),
        })
        .collect())
}
