//! The late children of deleted parents (migration 0025). A message or a delivery whose insert
//! read its app or endpoint just before that parent's deletion committed escapes the deleting
//! trigger, because the trigger cannot see the uncommitted row. The deletion leaves a tombstone,
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
    Ok(Swept {
        messages: row.get::<_, i64>(0) as u64,
        deliveries: row.get::<_, i64>(1) as u64,
    })
}
