//! The statements that keep one plan per connection (`hookd_db::kept_plan`) read by index even
//! when that plan is made on an empty database: a kept sequential scan would stay for as long
//! as the connection, whatever the tables grow to.

use crate::helpers::*;
use hookd_db::kept_plan::{statements, KEPT_PLAN};

#[tokio::test]
async fn kept_plans_read_by_index_on_an_empty_database() {
    let settings = test_settings();
    prepare_database(&settings).await;
    let db = hookd_db::connect(settings.database.url.expose(), 1)
        .unwrap()
        .get()
        .await
        .unwrap();
    for (name, sql) in statements() {
        // The generic plan of the statement as `kept_plan::query` runs it, made now.
        db.batch_execute(KEPT_PLAN).await.unwrap();
        db.batch_execute(&format!("PREPARE kept AS {sql}"))
            .await
            .unwrap();
        let params = vec!["NULL"; parameters(sql)].join(", ");
        let plan: serde_json::Value = db
            .query_one(
                &format!("EXPLAIN (FORMAT JSON) EXECUTE kept({params})"),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        db.batch_execute("ROLLBACK; DEALLOCATE kept").await.unwrap();
        let plan = plan.to_string();
        assert!(
            !plan.contains(r#""Seq Scan""#),
            "{name} scans a table: {plan}"
        );
        assert!(plan.contains("Index"), "{name} reads no index: {plan}");
    }
    cleanup(&settings);
}

/// The highest `$n` in `sql`.
fn parameters(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|s| {
            let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}
