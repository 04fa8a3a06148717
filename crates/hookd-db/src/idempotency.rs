//! Stored answers of requests sent with an `Idempotency-Key`, per organization.

use crate::DbError;
use deadpool_postgres::GenericClient;
use std::time::Duration;
use uuid::Uuid;

/// A finished request's answer, replayed for a repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What a request holding a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's now: run it, then `complete` or `release`.
    Acquired,
    /// The same request under this key is running elsewhere.
    InProgress,
    /// The same request was answered before.
    Answered(StoredAnswer),
    /// The key was used with another request.
    Mismatch,
}

/// Claims `key` for a request whose fingerprint is `fingerprint`. An expired row, or one left
/// in progress longer than `stale_after` (its request died), is taken over.
pub async fn claim(
    client: &impl GenericClient,
    organization_id: Uuid,
    key: &str,
    fingerprint: &[u8],
    ttl: Duration,
    stale_after: Duration,
) -> Result<Claim, DbError> {
    let (ttl, stale) = (ttl.as_secs_f64(), stale_after.as_secs_f64());
    let taken = client
        .query_opt(
            "INSERT INTO idempotency_keys (organization_id, key, fingerprint, expires_at)
             VALUES ($1, $2, $3, now() + make_interval(secs => $4))
             ON CONFLICT (organization_id, key) DO UPDATE
                SET fingerprint = EXCLUDED.fingerprint, expires_at = EXCLUDED.expires_at,
                    locked_at = now(), status = NULL, content_type = NULL, body = NULL
              WHERE idempotency_keys.expires_at < now()
                 OR (idempotency_keys.status IS NULL
                     AND idempotency_keys.locked_at < now() - make_interval(secs => $5))
             RETURNING 1",
            &[&organization_id, &key, &fingerprint, &ttl, &stale],
        )
        .await?;
    if taken.is_some() {
        return Ok(Claim::Acquired);
    }
    let Some(row) = client
        .query_opt(
            "SELECT fingerprint, status, content_type, body FROM idempotency_keys
              WHERE organization_id = $1 AND key = $2",
            &[&organization_id, &key],
        )
        .await?
    else {
        // Released between the two statements: the caller may simply try again.
        return Ok(Claim::InProgress);
    };
    let stored: Vec<u8> = row.get(0);
    if stored != fingerprint {
        return Ok(Claim::Mismatch);
    }
    Ok(match row.get::<_, Option<i16>>(1) {
        None => Claim::InProgress,
        Some(status) => Claim::Answered(StoredAnswer {
            status: status as u16,
            content_type: row.get(2),
            body: row.get::<_, Option<Vec<u8>>>(3).unwrap_or_default(),
        }),
    })
}

/// Records the answer of the request that holds `key`.
pub async fn complete(
    client: &impl GenericClient,
    organization_id: Uuid,
    key: &str,
    answer: &StoredAnswer,
) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5
              WHERE organization_id = $1 AND key = $2",
            &[
                &organization_id,
                &key,
                &(answer.status as i16),
                &answer.content_type,
                &answer.body,
            ],
        )
        .await?;
    Ok(())
}

/// Frees `key` without an answer (the request failed in a way a retry may fix).
pub async fn release(
    client: &impl GenericClient,
    organization_id: Uuid,
    key: &str,
) -> Result<(), DbError> {
    client
        .execute(
            "DELETE FROM idempotency_keys WHERE organization_id = $1 AND key = $2 AND status IS NULL",
            &[&organization_id, &key],
        )
        .await?;
    Ok(())
}

/// Deletes up to `limit` expired keys; small batches, so no long lock.
pub async fn sweep_expired(client: &impl GenericClient, limit: i64) -> Result<u64, DbError> {
    Ok(client
        .execute(
            "DELETE FROM idempotency_keys WHERE (organization_id, key) IN (
                SELECT organization_id, key FROM idempotency_keys
                 WHERE expires_at < now() ORDER BY expires_at LIMIT $1)",
            &[&limit],
        )
        .await?)
}
