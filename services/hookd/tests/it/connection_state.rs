//! Whether a connection a test holds is out of any transaction: what a transaction sent as a
//! pipeline must leave behind when the database refuses part of it.

use crate::helpers::TestStack;

/// Asserts that `db` is `idle` in `pg_stat_activity` (not `idle in transaction`).
pub async fn assert_idle(stack: &TestStack, db: &hookd_db::Client) {
    let pid: i32 = db
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("the connection is stuck in the failed transaction")
        .get(0);
    let state: String = stack
        .db()
        .await
        .query_one("SELECT state FROM pg_stat_activity WHERE pid = $1", &[&pid])
        .await
        .unwrap()
        .get(0);
    assert_eq!(state, "idle", "the failed transaction stayed open");
}
