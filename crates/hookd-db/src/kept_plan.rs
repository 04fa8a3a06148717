//! Statements whose plan cannot go wrong at any table size, run with one plan kept per
//! connection instead of the pool's planning on every call (`force_custom_plan`, pool.rs).
//! Planning the batched statements cost as much as running them or more (0.36-0.49 against
//! 0.19-0.41 ms per statement, S2O's statement log of 2026-12-03), and at moderate rates a batch
//! holds one or two messages. Kept plans went wrong before: a sequential scan or a hash join
//! chosen while a table was empty (or for a guessed batch size), then kept. So only statements
//! driven by their batch's rows, whose every read is an equality on a unique index, run here;
//! and with sequential scans, hash joins and merge joins off, their generic plan is a nested
//! loop of index reads, one per row of the batch, even when made on an empty database (the
//! test `delivery/kept_plans.rs` checks each of `statements`).

use crate::DbError;
use futures_util::future::join3;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

/// The settings of a kept plan, for a transaction: the generic plan, made of index reads in
/// nested loops. A plan is made once per connection (and again after an ANALYZE of its
/// tables), under these.
macro_rules! kept_settings {
    () => {
        "SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off; \
         SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; \
         SET LOCAL enable_bitmapscan = off"
    };
}

/// `kept_settings`, for a transaction begun already.
pub const KEPT_SETTINGS: &str = kept_settings!();

/// A transaction begun with `kept_settings`.
pub const KEPT_PLAN: &str = concat!("BEGIN; ", kept_settings!());

/// Runs `statement` in a transaction of its own with a kept plan. BEGIN, the statement and
/// COMMIT go in one pipeline (each request is sent when its future is first polled, and
/// `join3` polls them in order), so this costs one round trip, as the statement alone did. A
/// failure aborts the transaction and COMMIT rolls it back.
pub(crate) async fn query(
    client: &Client,
    statement: &Statement,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, DbError> {
    let (begin, rows, commit) = join3(
        client.batch_execute(KEPT_PLAN),
        client.query(statement, params),
        client.batch_execute("COMMIT"),
    )
    .await;
    begin?;
    let rows = rows?;
    commit?;
    Ok(rows)
}

/// The statements that run with `KEPT_PLAN`'s settings (here, or in a transaction of their
/// own that begins with them), by name: what the test of their plans explains.
pub fn statements() -> [(&'static str, &'static str); 11] {
    [
        (
            "messages::insert_many",
            crate::messages::INSERT_MANY.as_str(),
        ),
        (
            "gateway::requests::insert_many",
            crate::gateway::requests::INSERT_MANY,
        ),
        ("deliveries::fan_out_many", crate::fan_out::FAN_OUT),
        ("deliveries::record_attempts", crate::attempt_record::RECORD),
        ("gateway try: lock", crate::gateway::try_record::LOCK_EVENTS),
        (
            "gateway try: attempts",
            crate::gateway::try_record::INSERT_ATTEMPTS,
        ),
        (
            "gateway try: events",
            crate::gateway::try_record::UPDATE_EVENTS,
        ),
        (
            "gateway routing: revisions",
            crate::gateway::route_record::REVISIONS,
        ),
        (
            "gateway routing: events",
            crate::gateway::route_record::INSERT_EVENTS,
        ),
        (
            "gateway routing: ignored",
            crate::gateway::route_record::INSERT_IGNORED,
        ),
        (
            "gateway routing: requests",
            crate::gateway::route_record::MARK_ROUTED,
        ),
    ]
}
