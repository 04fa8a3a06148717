//! Deprovisioning (issue 17): removing all data of an organization marked `deleting`, one
//! small batch per statement, children before parents so no statement cascades into an
//! unbounded number of rows. Nothing but the mark is kept between batches: a pass after a crash
//! starts again from the first step and finds what is left.

use crate::DbError;
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// The organization's apps, for the statements below.
const APPS: &str = "SELECT id FROM apps WHERE organization_id = $1";

/// Each step: the table and a statement deleting at most `$2` of the organization's (`$1`)
/// rows of it. In this order a row's children are gone before it is, but for a bounded few that
/// cascade with it (a delivery's attempts, an event's attempts, a request's ignored events, a
/// link's portal sessions).
fn steps() -> Vec<(&'static str, String)> {
    let batch = |table: &'static str, selected: String| {
        (
            table,
            // `= ANY(ARRAY(...))` is a TID scan; `IN (subquery)` may walk the whole table.
            format!(
                "DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {selected} LIMIT $2))"
            ),
        )
    };
    let by_org = |table| batch(table, format!("{table} WHERE organization_id = $1"));
    let by_app = |table| batch(table, format!("{table} WHERE app_id IN ({APPS})"));
    vec![
        by_app("deliveries"),
        by_app("messages"),
        by_app("tasks"),
        by_app("endpoints"),
        batch(
            "portal_links",
            format!(
                "portal_links WHERE subscription_id IN (
                    SELECT id FROM subscriptions WHERE app_id IN ({APPS}))"
            ),
        ),
        by_app("subscriptions"),
        by_app("event_types"),
        by_app("retention_cursors"),
        by_org("gw_events"),
        by_org("gw_requests"),
        by_org("gw_bulk_retries"),
        by_org("gw_connections"),
        by_org("gw_sources"),
        by_org("gw_destinations"),
        by_org("gw_signing_secrets"),
        by_org("idempotency_keys"),
        by_org("organization_usage"),
        by_org("api_keys"),
        by_org("apps"),
    ]
}

/// Steps of a deprovision, for a caller keeping its place between batches.
pub fn step_count() -> usize {
    steps().len()
}

/// The tables a deprovision deletes from, in its order (labels known before the first batch).
pub fn tables() -> Vec<&'static str> {
    steps().into_iter().map(|(table, _)| table).collect()
}

/// Organizations marked `deleting`, oldest mark first.
pub async fn pending(client: &impl GenericClient) -> Result<Vec<Uuid>, DbError> {
    Ok(client
        .query(
            "SELECT id FROM organizations WHERE deleting_at IS NOT NULL ORDER BY deleting_at",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// What one call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Deleted this many rows of this table; more may be left.
    Deleted(&'static str, u64),
    /// Nothing of it was left: the organization's own row is gone.
    Finished,
}

/// Deletes the next batch of at most `limit` rows of the organization: of the first table, from
/// step `from` on (the steps before it found nothing last time), that has any; when none is
/// left, the organization itself. Returns the step to start from next time.
pub async fn step(
    client: &impl GenericClient,
    organization_id: Uuid,
    from: usize,
    limit: i64,
) -> Result<(Progress, usize), DbError> {
    for (i, (table, sql)) in steps().into_iter().enumerate().skip(from) {
        let n = client.execute(&sql, &[&organization_id, &limit]).await?;
        if n > 0 {
            return Ok((Progress::Deleted(table, n), i));
        }
    }
    // Only a marked organization; what arrived since the steps ran cascades with it (a few
    // rows: say a delivery the router recorded for a message in flight).
    client
        .execute(
            "DELETE FROM organizations WHERE id = $1 AND deleting_at IS NOT NULL",
            &[&organization_id],
        )
        .await?;
    Ok((Progress::Finished, 0))
}
