//! Portal magic links and the sessions opened with them (CONSOLE.md). Tokens and session ids
//! are kept as SHA-256 only.

use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use hookd_domain::new_id;
use uuid::Uuid;

/// A stored link (never its token).
#[derive(Debug, Clone)]
pub struct PortalLink {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub read_only: bool,
    pub expires_at: DateTime<Utc>,
}

/// What a portal session may see and do.
#[derive(Debug, Clone)]
pub struct PortalSession {
    pub subscription_id: Uuid,
    pub app_id: Uuid,
    pub organization_id: Uuid,
    pub read_only: bool,
    pub csrf_token: String,
}

pub async fn create_link(
    client: &impl GenericClient,
    subscription_id: Uuid,
    token_hash: &[u8],
    read_only: bool,
    expires_at: DateTime<Utc>,
) -> Result<PortalLink, DbError> {
    let id = new_id();
    client
        .execute(
            "INSERT INTO portal_links (id, subscription_id, token_hash, read_only, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[&id, &subscription_id, &token_hash, &read_only, &expires_at],
        )
        .await?;
    Ok(PortalLink {
        id,
        subscription_id,
        read_only,
        expires_at,
    })
}

/// The unexpired link of a token hash.
pub async fn find_link(
    client: &impl GenericClient,
    token_hash: &[u8],
) -> Result<Option<PortalLink>, DbError> {
    let row = client
        .query_opt(
            "SELECT id, subscription_id, read_only, expires_at FROM portal_links
             WHERE token_hash = $1 AND expires_at > now()",
            &[&token_hash],
        )
        .await?;
    Ok(row.map(|r| PortalLink {
        id: r.get(0),
        subscription_id: r.get(1),
        read_only: r.get(2),
        expires_at: r.get(3),
    }))
}

/// Ends every link of a subscription and, through the cascade, every session opened with one.
pub async fn expire_all(
    client: &impl GenericClient,
    subscription_id: Uuid,
) -> Result<u64, DbError> {
    Ok(client
        .execute(
            "DELETE FROM portal_links WHERE subscription_id = $1",
            &[&subscription_id],
        )
        .await?)
}

/// A session bound to a link; it ends with the link (never later than it).
pub async fn create_session(
    client: &impl GenericClient,
    id_hash: &[u8],
    link: &PortalLink,
    csrf_token: &str,
) -> Result<(), DbError> {
    client
        .execute("DELETE FROM portal_sessions WHERE expires_at < now()", &[])
        .await?;
    client
        .execute(
            "INSERT INTO portal_sessions (id_hash, link_id, csrf_token, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&id_hash, &link.id, &csrf_token, &link.expires_at],
        )
        .await?;
    Ok(())
}

/// The live session of an id hash, with its link still unexpired.
pub async fn find_session(
    client: &impl GenericClient,
    id_hash: &[u8],
) -> Result<Option<PortalSession>, DbError> {
    let row = client
        .query_opt(
            "SELECT l.subscription_id, s2.app_id, a.organization_id, l.read_only, s.csrf_token
             FROM portal_sessions s
             JOIN portal_links l ON l.id = s.link_id
             JOIN subscriptions s2 ON s2.id = l.subscription_id
             JOIN apps a ON a.id = s2.app_id
             WHERE s.id_hash = $1 AND s.expires_at > now() AND l.expires_at > now()",
            &[&id_hash],
        )
        .await?;
    Ok(row.map(|r| PortalSession {
        subscription_id: r.get(0),
        app_id: r.get(1),
        organization_id: r.get(2),
        read_only: r.get(3),
        csrf_token: r.get(4),
    }))
}

pub async fn delete_session(client: &impl GenericClient, id_hash: &[u8]) -> Result<(), DbError> {
    client
        .execute(
            "DELETE FROM portal_sessions WHERE id_hash = $1",
            &[&id_hash],
        )
        .await?;
    Ok(())
}
