//! Plan quotas (issue 17): the limits an organization's plan sets on apps, endpoints and
//! messages per day, checked where those are created.

use crate::DbError;
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// A quota counted by the rows an organization has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Apps,
    Endpoints,
}

impl Quota {
    /// Its name in the API (`quotas.apps`) and in errors.
    pub fn name(self) -> &'static str {
        match self {
            Quota::Apps => "apps",
            Quota::Endpoints => "endpoints",
        }
    }
}

/// The limit when the organization already has as many as its plan allows (one more would
/// exceed it), else `None`. Within a transaction that then creates the row: with a limit set,
/// the organization's row is locked, so concurrent creations are counted one after another.
pub async fn full(
    client: &impl GenericClient,
    organization_id: Uuid,
    quota: Quota,
) -> Result<Option<i32>, DbError> {
    let column = match quota {
        Quota::Apps => "max_apps",
        Quota::Endpoints => "max_endpoints",
    };
    let read =
        |lock: &'static str| format!("SELECT {column} FROM organizations WHERE id = $1 {lock}");
    let limit: Option<i32> = match client.query_opt(&read(""), &[&organization_id]).await? {
        Some(row) => row.get(0),
        None => return Ok(None),
    };
    if limit.is_none() {
        return Ok(None);
    }
    // Locked and read again: the limit may have changed in between.
    let limit: Option<i32> = client
        .query_one(&read("FOR NO KEY UPDATE"), &[&organization_id])
        .await?
        .get(0);
    let Some(limit) = limit else {
        return Ok(None);
    };
    let count_sql = match quota {
        // The operational webhook's hidden app and endpoint are not the plan's.
        Quota::Apps => "SELECT count(*) FROM apps WHERE organization_id = $1 AND NOT operational",
        Quota::Endpoints => {
            "SELECT count(*) FROM endpoints n JOIN apps a ON a.id = n.app_id
             WHERE a.organization_id = $1 AND NOT a.operational"
        }
    };
    let count: i64 = client
        .query_one(count_sql, &[&organization_id])
        .await?
        .get(0);
    Ok((count >= i64::from(limit)).then_some(limit))
}

/// The organization's messages-per-day limit, `None` for none.
pub async fn messages_per_day(
    client: &impl GenericClient,
    organization_id: Uuid,
) -> Result<Option<i32>, DbError> {
    Ok(client
        .query_opt(
            "SELECT max_messages_per_day FROM organizations WHERE id = $1",
            &[&organization_id],
        )
        .await?
        .and_then(|r| r.get(0)))
}

/// Counts one message against today's (UTC) usage if it stays within `limit`: `false` when the
/// day's quota is used up (and nothing is counted).
pub async fn take_message(
    client: &impl GenericClient,
    organization_id: Uuid,
    limit: i32,
) -> Result<bool, DbError> {
    let counted = client
        .query_opt(
            "INSERT INTO organization_usage AS u (organization_id, day, messages)
             SELECT $1, (now() AT TIME ZONE 'UTC')::date, 1 WHERE $2::bigint > 0
             ON CONFLICT (organization_id, day) DO UPDATE SET messages = u.messages + 1
                WHERE u.messages < $2::bigint
             RETURNING u.messages",
            &[&organization_id, &i64::from(limit)],
        )
        .await?;
    Ok(counted.is_some())
}
