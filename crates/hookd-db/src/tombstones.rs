//! The late children of deleted parents (migrations 0025 and 0027). A message, delivery,
//! gateway request or event whose insert read its parent (app, endpoint, source, connection)
//! just before that parent's deletion committed escapes the deleting trigger, because the trigger cannot see the uncommitted row. The deletion leaves a tombstone,
//! and this sweep deletes the tombstone's late children once no insert that read the parent
//! can still be running.

use crate::DbError;
use deadpool_postgres::GenericClient;
use std::time::Duration;

/// What a sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub messages: u64,
    pub deliveries: u64,
    pub gw_requests: u64,
    pub gw_events: u64,
}

/// Deletes the messages of apps and the deliveries of endpoints deleted more than `grace` ago,
/// then their tombstones. Messages take their deliveries and attempts with them (foreign keys),
/// and their outbox rows (0024's trigger).
pub async fn sweep(client: &impl GenericClient, grace: Duration) -> Result<Swept, DbError> {
    let row = client
        .query_one(
            "WITH old AS (
                DELETE FROM deleted_parents
                WHERE deleted_at < now() - make_interval(secs => $1)
                    AND kind IN ('app', 'endpoint')
                RETURNING kind, id
             ), m AS (
                DELETE FROM messages m USING old
                WHERE old.kind = 'app' AND m.app_id = old.id
                RETURNING 1
             ), d AS (
                DELETE FROM deliveries d USING old
                WHERE old.kind = 'endpoint' AND d.endpoint_id = old.id
                RETURNING 1
             )
             SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM d)",
            &[&grace.as_secs_f64()],
        )
        .await?;
    let (gw_requests, gw_events) = sweep_gateway(client, grace).await?;
    Ok(Swept {
        messages: row.get::<_, i64>(0) as u64,
        deliveries: row.get::<_, i64>(1) as u64,
        gw_requests,
        gw_events,
    })
}

/// The gateway's late children: requests of deleted sources, events of deleted connections.
/// Neither table is indexed on its parent (0027), so this reads them only when a tombstone is
/// due; a crash before the tombstones' deletion leaves them for the next pass (deleting twice
/// is harmless).
async fn sweep_gateway(
    client: &impl GenericClient,
    grace: Duration,
) -> Result<(u64, u64), DbError> {
    let due = client
        .query(
            "SELECT kind, id FROM deleted_parents
             WHERE deleted_at < now() - make_interval(secs => $1)
                AND kind IN ('source', 'connection')
             LIMIT 1000",
            &[&grace.as_secs_f64()],
        )
        .await?;
    if due.is_empty() {
        return Ok((0, 0));
    }
    let of = |kind: &str| -> Vec<uuid::Uuid> {
        due.iter()
            .filter(|r| r.get::<_, &str>(0) == kind)
            .map(|r| r.get(1))
            .collect()
    };
    let (sources, connections) = (of("source"), of("connection"));
    let mut swept = (0, 0);
    if !sources.is_empty() {
        swept.0 = client
            .execute(
                "DELETE FROM gw_requests WHERE source_id = ANY($1)",
                &[&sources],
            )
            .await?;
    }
    if !connections.is_empty() {
        swept.1 = client
            .execute(
                "DELETE FROM gw_events WHERE connection_id = ANY($1)",
                &[&connections],
            )
            .await?;
    }
    let ids: Vec<uuid::Uuid> = due.iter().map(|r| r.get(1)).collect();
    client
        .execute(
            "DELETE FROM deleted_parents WHERE kind IN ('source', 'connection') AND id = ANY($1)",
            &[&ids],
        )
        .await?;
    Ok(swept)
}
