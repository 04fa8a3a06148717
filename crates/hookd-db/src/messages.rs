use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use hookd_domain::Message;
use serde_json::Value;
use std::sync::LazyLock;
use tokio_postgres::Row;
use uuid::Uuid;

pub(crate) const COLUMNS: &str =
    "m.id, m.event_type, m.version, m.event_id, m.data, m.created_at, m.expunged_at";

pub(crate) fn from_row(r: &Row) -> Message {
    Message {
        id: r.get("id"),
        event_type: r.get("event_type"),
        version: r.get("version"),
        event_id: r.get("event_id"),
        data: r.get("data"),
        created_at: r.get("created_at"),
        expunged_at: r.get("expunged_at"),
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
    /// The W3C `traceparent` of its ingest step: the messages relay continues that trace.
    pub traceparent: Option<String>,
}

/// The CTE that puts the messages a CTE `m` inserted (id, app_id, created_at) in the outbox:
/// in the statement that stores them, so a stored message is never missing from it.
const OUTBOX_INSERT: &str = "outbox AS (
    INSERT INTO message_outbox (id, app_id, created_at) SELECT m.id, m.app_id, m.created_at FROM m
)";

/// Stores the message unless the app already has one with its `event_id`: then returns that
/// one and `false`. Concurrent sends of one `event_id` serialise on the unique index.
pub async fn insert(
    client: &impl GenericClient,
    m: &NewMessage,
) -> Result<(Message, bool), DbError> {
    let inserted = client
        .query_opt(
            &client
                .prepare_cached(&format!(
                    "WITH m AS (
                    INSERT INTO messages AS m (id, app_id, event_type, version, event_id, data,
                        endpoint_id, task_id, created_at, traceparent)
                    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
                    -- The app's key is checked by this read, not a foreign key (0025).
                    WHERE EXISTS (SELECT 1 FROM apps a WHERE a.id = $2)
                    ON CONFLICT (app_id, event_id) WHERE event_id IS NOT NULL DO NOTHING
                    RETURNING {COLUMNS}, m.app_id
                 ), {OUTBOX_INSERT}
                 SELECT {COLUMNS} FROM m"
                ))
                .await?,
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
                &m.traceparent,
            ],
        )
        .await?;
    if let Some(row) = inserted {
        return Ok((from_row(&row), true));
    }
    // Not inserted: its event_id is taken, or its app is gone.
    let row = stored_with_event_id(client, m)
        .await?
        .ok_or(DbError::NotFound)?;
    Ok((from_row(&row), false))
}

/// The app's message with `m`'s `event_id`, if any.
async fn stored_with_event_id(
    client: &impl GenericClient,
    m: &NewMessage,
) -> Result<Option<Row>, DbError> {
    Ok(client
        .query_opt(
            &client
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM messages m WHERE m.app_id = $1 AND m.event_id = $2"
                ))
                .await?,
            &[&m.app_id, &m.event_id],
        )
        .await?)
}

pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Message, DbError> {
    client
        .query_opt(
            &client
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM messages m JOIN apps a ON a.id = m.app_id
                 WHERE m.id = $1 AND a.organization_id = $2"
                ))
                .await?,
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
    /// The `traceparent` stored with it: relaying it continues its trace.
    pub traceparent: Option<String>,
}

/// Messages stored before `before` and still not routed: their bus notification was lost (or
/// is still queued behind a backlog; routing them twice is harmless). Oldest first by id (time
/// ordered): the outbox's primary key, so a pass reads `limit` rows however long it is.
pub async fn unrouted(
    client: &impl GenericClient,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Unrouted>, DbError> {
    let rows = client
        .query(
            &client
                .prepare_cached(&format!(
                    "SELECT {COLUMNS}, {UNROUTED_COLUMNS}
                 FROM message_outbox o JOIN messages m ON m.id = o.id WHERE o.created_at < $1
                 ORDER BY o.id LIMIT $2"
                ))
                .await?,
            &[&before, &limit],
        )
        .await?;
    Ok(rows.iter().map(unrouted_from_row).collect())
}

/// The columns an `Unrouted` is read from, after `COLUMNS`.
const UNROUTED_COLUMNS: &str = "m.app_id, m.endpoint_id, m.task_id, m.traceparent";

fn unrouted_from_row(r: &Row) -> Unrouted {
    Unrouted {
        message: from_row(r),
        app_id: r.get("app_id"),
        endpoint_id: r.get("endpoint_id"),
        task_id: r.get("task_id"),
        traceparent: r.get("traceparent"),
    }
}

/// Which of `ids` are stored and still not routed (operational events, published as soon as
/// their trigger's NOTIFY arrives).
pub async fn unrouted_among(
    client: &impl GenericClient,
    ids: &[Uuid],
) -> Result<Vec<Unrouted>, DbError> {
    let rows = client
        .query(
            &client
                .prepare_cached(&format!(
                    "SELECT {COLUMNS}, {UNROUTED_COLUMNS}
                 FROM message_outbox o JOIN messages m ON m.id = o.id
                 WHERE o.id = ANY($1) ORDER BY m.id"
                ))
                .await?,
            &[&ids],
        )
        .await?;
    Ok(rows.iter().map(unrouted_from_row).collect())
}

/// `insert_many`'s statement, with a kept plan (`kept_plan`): its reads are the apps' and the
/// event id's unique indexes.
pub(crate) static INSERT_MANY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH m AS (
                INSERT INTO messages AS m (id, app_id, event_type, version, event_id, data,
                    endpoint_id, task_id, created_at, traceparent)
                SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                    $6::jsonb[], $7::uuid[], $8::uuid[], $9::timestamptz[], $10::text[])
                -- The apps' keys are checked by this read, not a foreign key (0025): a batch
                -- with a message of a missing app stores nothing, and its caller then stores
                -- the messages one by one.
                WHERE NOT EXISTS (
                    SELECT 1 FROM unnest($2::uuid[]) AS x(app_id)
                    WHERE NOT EXISTS (SELECT 1 FROM apps a WHERE a.id = x.app_id))
                ON CONFLICT (app_id, event_id) WHERE event_id IS NOT NULL DO NOTHING
                RETURNING m.id, m.app_id, m.created_at
             ), {OUTBOX_INSERT}
             SELECT m.id FROM m"
    )
});

/// Stores many messages in one statement (the ingest batcher's flush). Each answer is as
/// `insert` would give for that message; a message whose `event_id` the app already has (or
/// that an earlier message of the same batch carries) answers the stored one and `false`.
pub async fn insert_many(
    client: &Client,
    batch: &[NewMessage],
) -> Result<Vec<(Message, bool)>, DbError> {
    let ids: Vec<Uuid> = batch.iter().map(|m| m.id).collect();
    let apps: Vec<Uuid> = batch.iter().map(|m| m.app_id).collect();
    let types: Vec<&str> = batch.iter().map(|m| m.event_type.as_str()).collect();
    let versions: Vec<&str> = batch.iter().map(|m| m.version.as_str()).collect();
    let event_ids: Vec<Option<&str>> = batch.iter().map(|m| m.event_id.as_deref()).collect();
    let data: Vec<&Value> = batch.iter().map(|m| &m.data).collect();
    let endpoints: Vec<Option<Uuid>> = batch.iter().map(|m| m.endpoint_id).collect();
    let tasks: Vec<Option<Uuid>> = batch.iter().map(|m| m.task_id).collect();
    let times: Vec<DateTime<Utc>> = batch.iter().map(|m| m.created_at).collect();
    let traces: Vec<Option<&str>> = batch.iter().map(|m| m.traceparent.as_deref()).collect();
    let statement = client.prepare_cached(&INSERT_MANY).await?;
    let inserted: std::collections::HashSet<Uuid> = crate::kept_plan::query(
        client,
        &statement,
        &[
            &ids, &apps, &types, &versions, &event_ids, &data, &endpoints, &tasks, &times, &traces,
        ],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    let mut answers = Vec::with_capacity(batch.len());
    for m in batch {
        if inserted.contains(&m.id) {
            answers.push((
                Message {
                    id: m.id,
                    event_type: m.event_type.clone(),
                    version: m.version.clone(),
                    event_id: m.event_id.clone(),
                    data: m.data.clone(),
                    created_at: m.created_at,
                    expunged_at: None,
                },
                true,
            ));
        } else {
            // Not inserted: its event_id is taken, so the stored message is the answer; or
            // an app of the batch is gone, and then the batch stored nothing.
            let row = stored_with_event_id(client, m)
                .await?
                .ok_or(DbError::NotFound)?;
            answers.push((from_row(&row), false));
        }
    }
    Ok(answers)
}
