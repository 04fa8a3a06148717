//! Gateway retention (issue 17): expunging inbound requests' bodies and headers with their
//! attempts' response bodies, and deleting requests with their events and attempts, per
//! organization, one small batch per transaction (like `crate::retention` for messages).

use crate::DbError;
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// An organization's gateway cutoffs.
#[derive(Debug, Clone)]
pub struct OrgRetention {
    pub organization_id: Uuid,
    /// Requests received before this lose their body and headers; `None`: kept.
    pub payload_cutoff: Option<DateTime<Utc>>,
    /// Requests received before this are deleted with their events; `None`: kept.
    pub metadata_cutoff: Option<DateTime<Utc>>,
}

/// Every organization with a limited retention (its `payload_retention_days`, else
/// `default_days`; `metadata_days`; 0 keeps), organizations being deleted aside.
pub async fn organizations(
    client: &impl GenericClient,
    default_days: i32,
    metadata_days: i32,
) -> Result<Vec<OrgRetention>, DbError> {
    let rows = client
        .query(
            "SELECT o.id, COALESCE(o.payload_retention_days, $1) AS days, now() AS now
             FROM organizations o
             WHERE o.deleting_at IS NULL
               AND (COALESCE(o.payload_retention_days, $1) > 0 OR $2 > 0)",
            &[&default_days, &metadata_days],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let days: i32 = r.get("days");
            let now: DateTime<Utc> = r.get("now");
            OrgRetention {
                organization_id: r.get("id"),
                payload_cutoff: (days > 0).then(|| now - Duration::days(days.into())),
                // Metadata outlives the payload it describes.
                metadata_cutoff: (metadata_days > 0)
                    .then(|| now - Duration::days(metadata_days.max(days).into())),
            }
        })
        .collect())
}

/// What one expunge batch changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GwExpunged {
    /// Requests whose body and headers were removed.
    pub requests: u64,
    /// Attempt response bodies removed.
    pub attempt_bodies: u64,
    /// Events not yet delivered ended as failed: their request's body is gone.
    pub events_ended: u64,
}

/// Expunges at most `limit` of the organization's requests received before `cutoff`: the body
/// (emptied) and the data (only the path kept: query and headers may hold tokens), their
/// events' attempt bodies, and ends their pending events. `true` when the batch was full.
pub async fn expunge_batch(
    client: &mut deadpool_postgres::Client,
    organization_id: Uuid,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<(GwExpunged, bool), DbError> {
    let tx = client.transaction().await?;
    // Through the partial index of requests not yet expunged; rows another pass holds are left
    // to it.
    let ids: Vec<Uuid> = tx
        .query(
            "WITH picked AS (
                SELECT id FROM gw_requests
                WHERE organization_id = $1 AND created_at < $2 AND expunged_at IS NULL
                ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED
             )
             UPDATE gw_requests r SET body = ''::bytea,
                data = jsonb_build_object('path', r.data -> 'path'),
                expunged_at = now(), updated_at = now()
             FROM picked WHERE r.id = picked.id RETURNING r.id",
            &[&organization_id, &cutoff, &limit],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = GwExpunged {
        requests: ids.len() as u64,
        ..Default::default()
    };
    if !ids.is_empty() {
        out.attempt_bodies = tx
            .execute(
                "UPDATE gw_attempts SET body = NULL
                 WHERE event_id IN (SELECT id FROM gw_events WHERE request_id = ANY($1))
                   AND body IS NOT NULL",
                &[&ids],
            )
            .await?;
        out.events_ended = tx
            .execute(
                "UPDATE gw_events SET status = 'FAILED', queued = false, next_attempt_at = NULL,
                    updated_at = now()
                 WHERE request_id = ANY($1) AND status IN ('SCHEDULED', 'QUEUED', 'HOLD')",
                &[&ids],
            )
            .await?;
    }
    tx.commit().await?;
    Ok((out, ids.len() as i64 >= limit))
}

/// Rows deleted by one batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GwDeleted {
    pub requests: u64,
    pub ignored_events: u64,
    pub events: u64,
    pub attempts: u64,
}

/// Deletes at most `limit` of the organization's requests received before `before`, with their
/// events, attempts and ignored events (children first, so each statement counts its own rows
/// instead of leaving them to cascades). `true` when the batch was full.
pub async fn delete_batch(
    client: &mut deadpool_postgres::Client,
    organization_id: Uuid,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<(GwDeleted, bool), DbError> {
    let tx = client.transaction().await?;
    let ids: Vec<Uuid> = tx
        .query(
            "SELECT id FROM gw_requests WHERE organization_id = $1 AND created_at < $2
             LIMIT $3 FOR UPDATE SKIP LOCKED",
            &[&organization_id, &before, &limit],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = GwDeleted::default();
    if !ids.is_empty() {
        out.attempts = tx
            .execute(
                "DELETE FROM gw_attempts
                 WHERE event_id IN (SELECT id FROM gw_events WHERE request_id = ANY($1))",
                &[&ids],
            )
            .await?;
        out.events = tx
            .execute("DELETE FROM gw_events WHERE request_id = ANY($1)", &[&ids])
            .await?;
        out.ignored_events = tx
            .execute(
                "DELETE FROM gw_ignored_events WHERE request_id = ANY($1)",
                &[&ids],
            )
            .await?;
        out.requests = tx
            .execute("DELETE FROM gw_requests WHERE id = ANY($1)", &[&ids])
            .await?;
    }
    tx.commit().await?;
    Ok((out, ids.len() as i64 >= limit))
}
