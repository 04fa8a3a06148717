//! Retention (issue 17): expunging message payloads and attempt response bodies, and deleting
//! old messages with their deliveries and attempts. Every statement touches at most one batch
//! of rows of one app, so no transaction holds many locks or runs long.

use crate::DbError;
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// What an expunge changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expunged {
    /// Message payloads replaced by JSON null.
    pub payloads: u64,
    /// Attempt response bodies removed.
    pub attempt_bodies: u64,
    /// Pending deliveries ended as failed: without its payload a message cannot be sent again.
    pub deliveries_ended: u64,
}

/// Expunges the payloads of these messages and the response bodies of their attempts, and ends
/// their pending deliveries. Run it in a transaction so the three agree. Already expunged
/// messages are left as they are.
pub async fn expunge(client: &impl GenericClient, ids: &[Uuid]) -> Result<Expunged, DbError> {
    let payloads = client
        .execute(
            "UPDATE messages SET data = 'null'::jsonb, expunged_at = now()
             WHERE id = ANY($1) AND expunged_at IS NULL",
            &[&ids],
        )
        .await?;
    // Through deliveries' (message_id, endpoint_id) index to attempts' (delivery_id) one.
    let attempt_bodies = client
        .execute(
            "UPDATE attempts SET response_body = NULL
             WHERE delivery_id IN (SELECT id FROM deliveries WHERE message_id = ANY($1))
               AND response_body IS NOT NULL",
            &[&ids],
        )
        .await?;
    let deliveries_ended = client
        .execute(
            "UPDATE deliveries SET status = 'failed', queued = false, next_attempt_at = NULL,
                updated_at = now()
             WHERE message_id = ANY($1) AND status = 'pending'",
            &[&ids],
        )
        .await?;
    Ok(Expunged {
        payloads,
        attempt_bodies,
        deliveries_ended,
    })
}

/// Expunges one message of the organization now (`DELETE /messages/{id}/content`).
pub async fn expunge_in_org(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Expunged, DbError> {
    let found = client
        .query_opt(
            "SELECT m.id FROM messages m JOIN apps a ON a.id = m.app_id
             WHERE m.id = $1 AND a.organization_id = $2 FOR UPDATE OF m",
            &[&id, &organization_id],
        )
        .await?;
    if found.is_none() {
        return Err(DbError::NotFound);
    }
    expunge(client, &[id]).await
}

/// Whether the message's payload was expunged.
pub async fn is_expunged(client: &impl GenericClient, message_id: Uuid) -> Result<bool, DbError> {
    Ok(client
        .query_opt(
            "SELECT 1 FROM messages WHERE id = $1 AND expunged_at IS NOT NULL",
            &[&message_id],
        )
        .await?
        .is_some())
}

/// An app under retention, its cutoffs, and how far earlier passes got.
#[derive(Debug, Clone)]
pub struct AppRetention {
    pub app_id: Uuid,
    /// Payloads of messages created before this are expunged; `None`: kept.
    pub payload_cutoff: Option<DateTime<Utc>>,
    /// Messages created before this are deleted; `None`: kept.
    pub metadata_cutoff: Option<DateTime<Utc>>,
    /// Keyset position of the last message expunged by earlier passes.
    pub cursor: Option<(DateTime<Utc>, Uuid)>,
}

/// Every app whose payloads (the organization's own `payload_retention_days`, else
/// `default_days`; 0 keeps them) or metadata (`metadata_days`; 0 keeps it) are kept for a
/// limited time, with its cutoffs. Apps of an organization being deleted are left to the
/// deprovision pass.
pub async fn apps(
    client: &impl GenericClient,
    default_days: i32,
    metadata_days: i32,
) -> Result<Vec<AppRetention>, DbError> {
    let rows = client
        .query(
            "SELECT a.id, COALESCE(o.payload_retention_days, $1) AS days, now() AS now,
                c.payloads_at, c.payloads_id
             FROM apps a JOIN organizations o ON o.id = a.organization_id
             LEFT JOIN retention_cursors c ON c.app_id = a.id
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
            let cursor = r
                .get::<_, Option<DateTime<Utc>>>("payloads_at")
                .zip(r.get::<_, Option<Uuid>>("payloads_id"));
            AppRetention {
                app_id: r.get("id"),
                payload_cutoff: (days > 0).then(|| now - Duration::days(days.into())),
                // Metadata outlives the payload it describes.
                metadata_cutoff: (metadata_days > 0)
                    .then(|| now - Duration::days(metadata_days.max(days).into())),
                cursor,
            }
        })
        .collect())
}

/// A cursor not moved for this long is moved up to the cutoff even when nothing was expunged,
/// so a pass rescans at most this much of already expunged messages.
const CURSOR_LAG: Duration = Duration::hours(1);

/// Expunges the next batch of at most `limit` of the app's messages created before its payload
/// cutoff, in one transaction, and moves its cursor. `true` when the batch was full (more may
/// be due).
pub async fn expunge_batch(
    client: &mut deadpool_postgres::Client,
    app: &AppRetention,
    limit: i64,
) -> Result<(Expunged, bool), DbError> {
    let Some(cutoff) = app.payload_cutoff else {
        return Ok((Expunged::default(), false));
    };
    let (after_at, after_id) = app
        .cursor
        .unwrap_or((DateTime::<Utc>::UNIX_EPOCH, Uuid::nil()));
    let tx = client.transaction().await?;
    let rows = tx
        .query(
            "SELECT id, created_at FROM messages
             WHERE app_id = $1 AND (created_at, id) > ($2, $3) AND created_at < $4
             ORDER BY created_at, id LIMIT $5",
            &[&app.app_id, &after_at, &after_id, &cutoff, &limit],
        )
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
    let full = ids.len() as i64 >= limit;
    let expunged = if ids.is_empty() {
        Expunged::default()
    } else {
        expunge(&tx, &ids).await?
    };
    // A full batch stops at its last message; a short one has done everything up to the cutoff.
    let next = match rows.last() {
        Some(last) if full => Some((last.get::<_, DateTime<Utc>>(1), last.get::<_, Uuid>(0))),
        _ => {
            let lagging = app.cursor.is_none_or(|(at, _)| at < cutoff - CURSOR_LAG);
            (!ids.is_empty() || lagging).then_some((cutoff, Uuid::nil()))
        }
    };
    if let Some((at, id)) = next {
        tx.execute(
            "INSERT INTO retention_cursors (app_id, payloads_at, payloads_id) VALUES ($1, $2, $3)
             ON CONFLICT (app_id) DO UPDATE SET payloads_at = EXCLUDED.payloads_at,
                payloads_id = EXCLUDED.payloads_id, updated_at = now()",
            &[&app.app_id, &at, &id],
        )
        .await?;
    }
    tx.commit().await?;
    Ok((expunged, full))
}

/// Rows deleted by one batch of metadata deletion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deleted {
    pub messages: u64,
    pub deliveries: u64,
    pub attempts: u64,
}

/// Deletes at most `limit` messages of the app created before `before`, with their deliveries
/// and attempts, in one transaction. `true` when the batch was full.
pub async fn delete_messages_before(
    client: &mut deadpool_postgres::Client,
    app_id: Uuid,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<(Deleted, bool), DbError> {
    let tx = client.transaction().await?;
    let ids: Vec<Uuid> = tx
        .query(
            "SELECT id FROM messages WHERE app_id = $1 AND created_at < $2 LIMIT $3
             FOR UPDATE SKIP LOCKED",
            &[&app_id, &before, &limit],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let deleted = delete_messages(&tx, &ids).await?;
    tx.commit().await?;
    Ok((deleted, ids.len() as i64 >= limit))
}

/// Deletes these messages, their deliveries and their attempts (children first, so each
/// statement counts its own rows instead of leaving them to cascades).
pub async fn delete_messages(
    client: &impl GenericClient,
    ids: &[Uuid],
) -> Result<Deleted, DbError> {
    if ids.is_empty() {
        return Ok(Deleted::default());
    }
    let attempts = client
        .execute(
            "DELETE FROM attempts
             WHERE delivery_id IN (SELECT id FROM deliveries WHERE message_id = ANY($1))",
            &[&ids],
        )
        .await?;
    let deliveries = client
        .execute("DELETE FROM deliveries WHERE message_id = ANY($1)", &[&ids])
        .await?;
    let messages = client
        .execute("DELETE FROM messages WHERE id = ANY($1)", &[&ids])
        .await?;
    Ok(Deleted {
        messages,
        deliveries,
        attempts,
    })
}
