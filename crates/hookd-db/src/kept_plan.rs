//! Statements whose plan cannot go wrong at any table size, run with one plan kept per
//! connection instead of the pool's planning on every call (`force_custom_plan`, pool.rs).
//! Planning the batched inserts cost about twice as much as running them (0.36-0.43 against
//! 0.19-0.21 ms per statement, S2O's statement log of 2026-12-03), and at moderate rates a batch
//! holds one or two messages. Kept plans went wrong elsewhere (a sequential scan chosen while a
//! table was empty, then kept), so only statements whose every read is an equality on a unique
//! index run here, and with sequential scans off their generic plan reads that index even on an
//! empty database (the test `delivery/kept_plans.rs` checks each of `statements`).

use crate::DbError;
use futures_util::future::join3;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

/// The transaction's settings: the generic plan, made without sequential scans.
pub const KEPT_PLAN: &str =
    "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off";

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

/// The statements that run here, by name: what the test of their plans explains.
pub fn statements() -> [(&'static str, &'static str); 2] {
    [
        (
            "messages::insert_many",
            crate::messages::INSERT_MANY.as_str(),
        ),
        (
            "gateway::requests::insert_many",
            crate::gateway::requests::INSERT_MANY,
        ),
    ]
}
