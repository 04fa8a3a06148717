//! Scheduled tasks: a stored `data` delivered at `scheduled_run_time` as a message of version
//! `1.0`. Life of a task: `status` NULL (waiting) → `running` (claimed by a scheduler, which
//! stored its message in the same transaction) → `completed` | `failed`; or NULL →
//! `cancelled`. Every transition is a conditional `UPDATE`, so each happens once however
//! many schedulers, routers and API calls race.

use crate::messages::NewMessage;
use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use hookd_domain::{new_id, Message, Task, TaskStatus, DEFAULT_VERSION};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

const COLUMNS: &str =
    "t.id, t.event_type, t.status, t.scheduled_run_time, t.endpoint_id, t.created_at, t.data";

fn from_row(r: &Row) -> Task {
    let status: Option<&str> = r.get("status");
    Task {
        id: r.get("id"),
        event_type: r.get("event_type"),
        status: status.and_then(TaskStatus::parse),
        scheduled_run_time: r.get("scheduled_run_time"),
        endpoint_id: r.get("endpoint_id"),
        created_at: r.get("created_at"),
        data: r.get("data"),
    }
}

/// A task to store.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub app_id: Uuid,
    pub event_type: String,
    pub data: Value,
    /// `None` runs it now (the database's clock, as the schedulers use).
    pub scheduled_run_time: Option<DateTime<Utc>>,
}

pub async fn create(client: &impl GenericClient, t: &NewTask) -> Result<Task, DbError> {
    let row = client
        .query_one(
            &client
                .prepare_cached(&format!(
                    "INSERT INTO tasks AS t (id, app_id, event_type, data, scheduled_run_time)
                 VALUES ($1, $2, $3, $4, COALESCE($5, now()))
                 RETURNING {COLUMNS}"
                ))
                .await?,
            &[
                &new_id(),
                &t.app_id,
                &t.event_type,
                &t.data,
                &t.scheduled_run_time,
            ],
        )
        .await?;
    Ok(from_row(&row))
}

/// A task of one of the organization's apps.
pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Task, DbError> {
    client
        .query_opt(
            &client
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM tasks t JOIN apps a ON a.id = t.app_id
                 WHERE t.id = $1 AND a.organization_id = $2"
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
) -> Result<Listed<Task>, DbError> {
    crate::list::list(
        client,
        &format!("SELECT {COLUMNS} FROM tasks t WHERE t.app_id = $1"),
        "t",
        params![app_id],
        filters,
        page,
        from_row,
    )
    .await
}

/// What a cancel did.
#[derive(Debug, Clone)]
pub enum Cancel {
    /// The task had not run; it never will.
    Cancelled(Task),
    /// Too late (or cancelled before): the task as it stands.
    NotPending(Task),
}

/// Cancels a task that has not run. Atomic against the schedulers: a scheduler holding the
/// row (claim in progress) makes this wait for its commit and then find it `running`; a
/// cancel that commits first makes every scheduler skip the row.
pub async fn cancel(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Cancel, DbError> {
    let cancelled = client
        .query_opt(
            &client
                .prepare_cached(&format!(
                    "UPDATE tasks t SET status = 'cancelled', updated_at = now()
                 FROM apps a
                 WHERE t.id = $1 AND a.id = t.app_id AND a.organization_id = $2
                   AND t.status IS NULL
                 RETURNING {COLUMNS}"
                ))
                .await?,
            &[&id, &organization_id],
        )
        .await?;
    match cancelled {
        Some(row) => Ok(Cancel::Cancelled(from_row(&row))),
        None => Ok(Cancel::NotPending(get(client, organization_id, id).await?)),
    }
}

/// A task a scheduler has started: its message is stored (unrouted) and must be published.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub task_id: Uuid,
    pub app_id: Uuid,
    pub message: Message,
}

/// Starts up to `limit` due tasks, inside the caller's transaction: locks them with
/// `FOR UPDATE SKIP LOCKED` (concurrent schedulers take disjoint rows), stores one message per
/// task (version `1.0`, `task_id` set, not routed yet) and marks the task `running` with its
/// `message_id`. Nothing of it is visible before the commit, and a transaction that never
/// commits (a crashed scheduler) leaves the tasks due as they were. After the commit the
/// caller publishes the messages; one whose publish fails is an unrouted message like any
/// other, which the router's relay publishes.
pub async fn claim_due(tx: &Transaction<'_>, limit: i64) -> Result<Vec<Claimed>, DbError> {
    let due = tx
        .query(
            &tx.prepare_cached(
                "SELECT id, app_id, event_type, data FROM tasks
             WHERE status IS NULL AND scheduled_run_time <= now()
             ORDER BY scheduled_run_time
             LIMIT $1
             FOR UPDATE SKIP LOCKED",
            )
            .await?,
            &[&limit],
        )
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    // Whole microseconds, as PostgreSQL stores them, so the body rendered from memory and the
    // one rendered from the row (the relay, the retry scheduler) are the same.
    let created_at = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let news: Vec<NewMessage> = due
        .iter()
        .map(|r| NewMessage {
            id: new_id(),
            app_id: r.get("app_id"),
            event_type: r.get("event_type"),
            version: DEFAULT_VERSION.to_owned(),
            event_id: None,
            data: r.get("data"),
            endpoint_id: None,
            task_id: Some(r.get("id")),
            created_at,
            // Made by the scheduler's pass, not by a request: no trace to continue.
            traceparent: None,
        })
        .collect();
    // One connection pipelines these; without an event_id an insert never meets a duplicate.
    let inserted =
        futures_util::future::try_join_all(news.iter().map(|m| crate::messages::insert(tx, m)))
            .await?;
    let task_ids: Vec<Uuid> = news.iter().filter_map(|m| m.task_id).collect();
    let message_ids: Vec<Uuid> = news.iter().map(|m| m.id).collect();
    tx.execute(
        &tx.prepare_cached(
            "UPDATE tasks t SET status = 'running', message_id = u.message_id, updated_at = now()
         FROM unnest($1::uuid[], $2::uuid[]) AS u(id, message_id)
         WHERE t.id = u.id",
        )
        .await?,
        &[&task_ids, &message_ids],
    )
    .await?;
    Ok(news
        .iter()
        .zip(inserted)
        .map(|(new, (message, _))| Claimed {
            task_id: new.task_id.unwrap_or_default(),
            app_id: new.app_id,
            message,
        })
        .collect())
}

/// Records that a task's message was fanned out. `endpoint_id` becomes the first endpoint that
/// got a delivery (`first_endpoint` when it did, as the router lists them); a task whose
/// message got no delivery at all is `failed`. Decided from the deliveries actually recorded,
/// not from the router's view alone, so a message routed again (the relay, a redelivered
/// envelope) by a router whose view differs cannot fail a task whose deliveries exist, and an
/// endpoint deleted between the view and the insert does not leave the task waiting forever.
pub async fn mark_routed(
    client: &impl GenericClient,
    task_id: Uuid,
    first_endpoint: Option<Uuid>,
) -> Result<(), DbError> {
    client
        .execute(
            &client
                .prepare_cached(
                    "UPDATE tasks t SET endpoint_id = COALESCE(t.endpoint_id, first.endpoint_id),
                status = CASE WHEN first.endpoint_id IS NULL THEN 'failed' ELSE t.status END,
                updated_at = now()
             FROM tasks k
             LEFT JOIN LATERAL (
                SELECT d.endpoint_id FROM deliveries d WHERE d.message_id = k.message_id
                ORDER BY d.endpoint_id IS NOT DISTINCT FROM $2::uuid DESC, d.id
                LIMIT 1
             ) first ON true
             WHERE t.id = $1 AND k.id = $1 AND t.status = 'running'",
                )
                .await?,
            &[&task_id, &first_endpoint],
        )
        .await?;
    Ok(())
}

/// Settles a running task once none of its deliveries is pending: `completed` when every one
/// succeeded, `failed` otherwise.
pub async fn settle(client: &impl GenericClient, task_id: Uuid) -> Result<(), DbError> {
    client
        .execute(
            &client.prepare_cached("UPDATE tasks t SET status = CASE WHEN EXISTS (
                    SELECT 1 FROM deliveries d WHERE d.message_id = t.message_id AND d.status = 'failed')
                THEN 'failed' ELSE 'completed' END,
                updated_at = now()
             WHERE t.id = $1 AND t.status = 'running'
               AND EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = t.message_id)
               AND NOT EXISTS (SELECT 1 FROM deliveries d
                    WHERE d.message_id = t.message_id AND d.status = 'pending')").await?,
            &[&task_id],
        )
        .await?;
    Ok(())
}

/// The backstop of `settle`: settles running tasks, unchanged since `before`, whose message is
/// routed and has no pending delivery. It catches deliveries that ended without the worker
/// settling their task (the retry scheduler fails deliveries of a disabled endpoint; a settle
/// that errored after its attempt was recorded). Returns how many it settled.
pub async fn settle_stale(
    client: &impl GenericClient,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<u64, DbError> {
    Ok(client
        .execute(
            &client.prepare_cached("WITH stale AS (
                SELECT t.id FROM tasks t JOIN messages m ON m.id = t.message_id
                WHERE t.status = 'running' AND t.updated_at < $1
                  AND NOT EXISTS (SELECT 1 FROM message_outbox o WHERE o.id = t.message_id)
                  AND NOT EXISTS (SELECT 1 FROM deliveries d
                        WHERE d.message_id = t.message_id AND d.status = 'pending')
                LIMIT $2
                FOR UPDATE OF t SKIP LOCKED
             )
             UPDATE tasks t SET status = CASE WHEN EXISTS (
                    SELECT 1 FROM deliveries d WHERE d.message_id = t.message_id AND d.status = 'failed')
                    OR NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = t.message_id)
                THEN 'failed' ELSE 'completed' END,
                updated_at = now()
             FROM stale WHERE t.id = stale.id AND t.status = 'running'").await?,
            &[&before, &limit],
        )
        .await?)
}
