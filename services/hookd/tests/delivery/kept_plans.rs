//! The statements that keep one plan per connection (`hookd_db::kept_plan`) read by index, in
//! nested loops driven by the batch, even when that plan is made on an empty database: a kept
//! sequential scan, or a hash join sized for a guess, would stay for as long as the connection,
//! whatever the tables and batches grow to.

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
    let mut checked = 0;
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
        let mut scans = Vec::new();
        table_scans(&plan[0]["Plan"], &mut scans);
        checked += scans.len();
        for scan in scans {
            let kind = scan["Node Type"].as_str().unwrap_or_default();
            let cond = scan["Index Cond"].as_str().unwrap_or_default();
            // An index read of the batch's rows: its condition names a parameter (`$7`) or
            // a column of the batch (`r.delivery_id`), not only constants (`status =
            // 'pending'`), which would read every such row.
            assert!(
                matches!(kind, "Index Scan" | "Index Only Scan")
                    && (cond.contains('$') || cond.contains('.')),
                "{name} reads {} by {kind} {cond}: {plan}",
                scan["Relation Name"]
            );
        }
        let plan = plan.to_string();
        for join in [r#""Hash Join""#, r#""Merge Join""#] {
            assert!(!plan.contains(join), "{name} plans a {join}: {plan}");
        }
    }
    assert!(
        checked >= statements().len(),
        "{checked} table reads checked"
    );
    cleanup(&settings);
}

/// The nodes of `plan` that read a table (not those that write one: `ModifyTable`).
fn table_scans<'a>(plan: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
    let kind = plan["Node Type"].as_str().unwrap_or_default();
    if plan.get("Relation Name").is_some() && kind != "ModifyTable" {
        out.push(plan);
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        table_scans(child, out);
    }
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
