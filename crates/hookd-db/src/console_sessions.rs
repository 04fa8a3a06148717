//! Console login sessions (CONSOLE.md): the id is kept as SHA-256, the session acts as the
//! key whose hash it holds.

use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;

/// A live console session.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub key_hash: Vec<u8>,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(
    client: &impl GenericClient,
    id_hash: &[u8],
    key_hash: &[u8],
    csrf_token: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    // Expired rows of anyone are swept on each login, so the table holds live sessions only.
    client
        .execute("DELETE FROM console_sessions WHERE expires_at < now()", &[])
        .await?;
    client
        .execute(
            "INSERT INTO console_sessions (id_hash, key_hash, csrf_token, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&id_hash, &key_hash, &csrf_token, &expires_at],
        )
        .await?;
    Ok(())
}

/// The unexpired session of an id hash.
pub async fn find(
    client: &impl GenericClient,
    id_hash: &[u8],
) -> Result<Option<ConsoleSession>, DbError> {
    let row = client
        .query_opt(
            "SELECT key_hash, csrf_token, expires_at FROM console_sessions
             WHERE id_hash = $1 AND expires_at > now()",
            &[&id_hash],
        )
        .await?;
    Ok(row.map(|r| ConsoleSession {
        key_hash: r.get(0),
        csrf_token: r.get(1),
        expires_at: r.get(2),
    }))
}

pub async fn delete(client: &impl GenericClient, id_hash: &[u8]) -> Result<(), DbError> {
    client
        .execute(
            "DELETE FROM console_sessions WHERE id_hash = $1",
            &[&id_hash],
        )
        .await?;
    Ok(())
}
