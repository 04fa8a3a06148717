//! Bulk retries of events: the request as given, and how far its batches have gone (a keyset
//! cursor over the matching events, so a restarted run resumes where it stopped).

use super::table::Table;
use crate::{params, Cursor, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct BulkRetry {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub query: Value,
    pub estimated_count: i32,
    pub estimated_batch: i32,
    pub processed_batch: i32,
    pub completed_count: i32,
    pub failed_count: i32,
    pub cursor: Option<Cursor>,
    pub in_progress: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "b.id, b.organization_id, b.query, b.estimated_count, b.estimated_batch, \
    b.processed_batch, b.completed_count, b.failed_count, b.cursor_created_at, b.cursor_id, \
    b.in_progress, b.completed_at, b.cancelled_at, b.created_at, b.updated_at";

const TABLE: Table<BulkRetry> = Table {
    name: "gw_bulk_retries",
    alias: "b",
    columns: COLUMNS,
    from_row,
};

fn from_row(r: &Row) -> BulkRetry {
    let cursor = match (r.get("cursor_created_at"), r.get("cursor_id")) {
        (Some(created_at), Some(id)) => Some(Cursor { created_at, id }),
        _ => None,
    };
    BulkRetry {
        id: r.get("id"),
        organization_id: r.get("organization_id"),
        query: r.get("query"),
        estimated_count: r.get("estimated_count"),
        estimated_batch: r.get("estimated_batch"),
        processed_batch: r.get("processed_batch"),
        completed_count: r.get("completed_count"),
        failed_count: r.get("failed_count"),
        cursor,
        in_progress: r.get("in_progress"),
        completed_at: r.get("completed_at"),
        cancelled_at: r.get("cancelled_at"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// Stores a new bulk retry; `created_at` (the caller's) bounds the events it retries.
pub async fn insert(client: &impl GenericClient, b: &BulkRetry) -> Result<BulkRetry, DbError> {
    let row = client
        .query_one(
            &format!(
                "INSERT INTO gw_bulk_retries AS b (id, organization_id, query, estimated_count,
                    estimated_batch, in_progress, completed_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
            ),
            &[
                &b.id,
                &b.organization_id,
                &b.query,
                &b.estimated_count,
                &b.estimated_batch,
                &b.in_progress,
                &b.completed_at,
                &b.created_at,
            ],
        )
        .await?;
    Ok(from_row(&row))
}

pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<BulkRetry, DbError> {
    TABLE.get(client, organization_id, id).await
}

pub async fn list(
    client: &impl GenericClient,
    organization_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<BulkRetry>, DbError> {
    TABLE
        .list(client, organization_id, "true", params![], filters, page)
        .await
}

/// Stops a running bulk retry (a finished one is answered as it is).
pub async fn cancel(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<BulkRetry, DbError> {
    client
        .query_opt(
            &format!(
                "UPDATE gw_bulk_retries b SET
                    cancelled_at = CASE WHEN b.in_progress THEN now() ELSE b.cancelled_at END,
                    in_progress = false, updated_at = now()
                 WHERE b.id = $1 AND b.organization_id = $2 RETURNING {COLUMNS}"
            ),
            &[&id, &organization_id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

/// The oldest running bulk retry no other runner holds, locked for this transaction.
pub async fn claim_running(client: &impl GenericClient) -> Result<Option<BulkRetry>, DbError> {
    Ok(client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM gw_bulk_retries b WHERE b.in_progress
                 ORDER BY b.created_at LIMIT 1 FOR UPDATE SKIP LOCKED"
            ),
            &[],
        )
        .await?
        .map(|r| from_row(&r)))
}

/// Records a processed batch: its counts, the cursor after it, and whether it was the last.
pub async fn advance(
    client: &impl GenericClient,
    id: Uuid,
    cursor: Option<Cursor>,
    completed: i32,
    failed: i32,
    last: bool,
) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE gw_bulk_retries SET processed_batch = processed_batch + 1,
                completed_count = completed_count + $2, failed_count = failed_count + $3,
                cursor_created_at = COALESCE($4, cursor_created_at),
                cursor_id = COALESCE($5, cursor_id),
                in_progress = NOT $6, completed_at = CASE WHEN $6 THEN now() END,
                updated_at = now()
             WHERE id = $1",
            &[
                &id,
                &completed,
                &failed,
                &cursor.map(|c| c.created_at),
                &cursor.map(|c| c.id),
                &last,
            ],
        )
        .await?;
    Ok(())
}
