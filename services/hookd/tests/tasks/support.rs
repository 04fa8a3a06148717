use crate::helpers::*;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// Creates a task of the fixture's app; asserts the 201.
pub async fn create_task(stack: &TestStack, f: &Fixture, body: Value) -> Value {
    created(
        stack
            .api
            .post(&format!("/api/v1/apps/{}/tasks", f.app_id), &body)
            .await,
    )
}

pub fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().expect("id").parse().expect("uuid")
}

pub fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap_or_else(|e| panic!("not a time: {v}: {e}"))
        .with_timezone(&Utc)
}

pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Polls the task until `pred` holds on it.
pub async fn task_until(stack: &TestStack, id: Uuid, pred: impl Fn(&Value) -> bool) -> Value {
    stack
        .eventually(
            &format!("/api/v1/tasks/{id}"),
            Duration::from_secs(15),
            pred,
        )
        .await
}

/// Messages stored for a task (one once it ran, however many schedulers raced).
pub async fn messages_of(db: &hookd_db::Client, task_id: Uuid) -> i64 {
    db.query_one(
        "SELECT count(*) FROM messages WHERE task_id = $1",
        &[&task_id],
    )
    .await
    .expect("count messages")
    .get(0)
}

/// Webhooks received at `path` whose `data.n` is `n`.
pub fn received_n(stack: &TestStack, path: &str, n: i64) -> usize {
    stack
        .receiver
        .received_at(path)
        .iter()
        .filter(|r| r.json()["data"]["n"] == n)
        .count()
}

/// A database with the schema and an app, without any service: for driving the queries
/// directly. Dropped with the guard.
pub struct BareDb {
    pub settings: hookd_config::Settings,
    pub pool: hookd_db::Pool,
    pub app_id: Uuid,
}

impl BareDb {
    pub async fn new() -> Self {
        let settings = test_settings();
        prepare_database(&settings).await;
        let pool = hookd_db::connect(settings.database.url.expose(), 8).expect("pool");
        let client = pool.get().await.expect("client");
        let org = hookd_db::organizations::create(&client, &unique("org"))
            .await
            .expect("org");
        let app = hookd_db::apps::create(&client, org.id, "app")
            .await
            .expect("app");
        Self {
            settings,
            pool,
            app_id: app.id,
        }
    }

    /// `n` tasks due now, `data` `{"n": i}`.
    pub async fn due_tasks(&self, n: i64) -> Vec<Uuid> {
        let client = self.pool.get().await.expect("client");
        let mut ids = Vec::new();
        for i in 0..n {
            let task = hookd_db::tasks::create(
                &client,
                &hookd_db::tasks::NewTask {
                    app_id: self.app_id,
                    event_type: "user.created".into(),
                    data: serde_json::json!({ "n": i }),
                    scheduled_run_time: None,
                },
            )
            .await
            .expect("task");
            ids.push(task.id);
        }
        ids
    }
}

impl Drop for BareDb {
    fn drop(&mut self) {
        cleanup(&self.settings);
    }
}
