//! The test harness: the three services in-process against the real PostgreSQL and RabbitMQ,
//! each test in its own database and with its own broker names, and a receiver standing in
//! for subscriber endpoints.

use hookd_config::{Profile, Secret, Settings};
use hookd_testkit::{ApiClient, ApiResponse, Receiver};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const ADMIN_KEY: &str = "test_admin_key_0123456789";
/// Base64 of 32 bytes: endpoint secrets are sealed in every test, as in production.
pub const TEST_ENCRYPTION_KEY: &str = "dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy1vayE=";

/// Base URLs of the local servers; overridable for other machines.
fn pg_base() -> String {
    std::env::var("HOOKD_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn amqp_url() -> String {
    std::env::var("HOOKD_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        hookd_telemetry::init_tracing(false, "info");
    }
}

/// Settings for one test: its own database and broker prefix, ports chosen by the OS, and a
/// short retry schedule.
pub fn test_settings() -> Settings {
    let mut s = Settings::defaults(Profile::Local);
    let id = Uuid::new_v4().simple().to_string();
    s.database.url = Secret::new(format!("{}/hookd_test_{}", pg_base(), &id[..16]));
    s.database.pool_size = 8;
    s.amqp.url = Secret::new(amqp_url());
    s.amqp.prefix = format!("test.{}.", &id[..16]);
    s.ingest.listen = "127.0.0.1:0".into();
    s.ingest.workers = 2;
    s.router.listen = "127.0.0.1:0".into();
    s.router.sweep_interval = Duration::from_millis(200);
    s.router.relay_after = Duration::from_secs(2);
    s.delivery.listen = "127.0.0.1:0".into();
    s.delivery.retry_schedule = vec![
        Duration::ZERO,
        Duration::from_millis(300),
        Duration::from_millis(300),
    ];
    s.delivery.timeout = Duration::from_secs(2);
    s.delivery.poll_interval = Duration::from_millis(50);
    s.delivery.lease = Duration::from_secs(10);
    s.auth.bootstrap_api_key = Some(Secret::new(ADMIN_KEY.into()));
    s.secrets.encryption_key = Some(Secret::new(TEST_ENCRYPTION_KEY.into()));
    s
}

/// Creates and migrates the test database.
pub async fn prepare_database(settings: &Settings) {
    hookd_db::ensure_database(settings.database.url.expose())
        .await
        .expect("test database");
}

/// Drops a test's database and broker names; runs on its own thread so it works from `Drop`.
pub fn cleanup(settings: &Settings) {
    let db = settings.database.url.expose().clone();
    let amqp = settings.amqp.url.expose().clone();
    let prefix = settings.amqp.prefix.clone();
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let _ = hookd_db::drop_database(&db).await;
            if let Ok(conn) = hookd_bus::connect(&amqp).await {
                if let Ok(ch) = conn.create_channel().await {
                    let _ = hookd_bus::Topology::new(prefix).delete(&ch).await;
                }
                let _ = conn.close(200, "cleanup".into()).await;
            }
        });
    })
    .join();
}

/// The three services running in this process.
/// A service running in the test's runtime; its error rendered as text.
type ServiceRun = tokio::task::JoinHandle<Result<(), String>>;

pub struct TestStack {
    pub settings: Settings,
    pub api: ApiClient,
    pub base: String,
    pub receiver: Receiver,
    pub view: hookd_router::RoutingView,
    pub router_port: u16,
    pub delivery_port: u16,
    shutdown: CancellationToken,
    tasks: Vec<(&'static str, ServiceRun)>,
}

impl TestStack {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = test_settings();
        configure(&mut settings);
        Self::spawn_on(settings).await
    }

    /// The services on given settings: with another stack's, a restart on its database and
    /// broker names (and a receiver of its own).
    pub async fn spawn_on(settings: Settings) -> Self {
        init_logs();
        prepare_database(&settings).await;
        let shutdown = CancellationToken::new();
        let ingest = hookd_ingest::Application::build(settings.clone())
            .await
            .expect("ingest");
        let router = hookd_router::Router::build(settings.clone())
            .await
            .expect("router");
        let delivery = hookd_delivery::DeliveryWorker::build(settings.clone())
            .await
            .expect("delivery");
        let base = format!("http://127.0.0.1:{}", ingest.port());
        let view = router.view();
        let (router_port, delivery_port) = (router.port(), delivery.port());
        // Each service's result is kept: a service that fails while a test runs fails the test
        // when the stack stops, instead of passing silently.
        let tasks = vec![
            ("ingest", {
                let s = shutdown.clone();
                tokio::spawn(
                    async move { ingest.run_until_stopped(s).await.map_err(|e| e.to_string()) },
                )
            }),
            ("router", {
                let s = shutdown.clone();
                tokio::spawn(
                    async move { router.run_until_stopped(s).await.map_err(|e| e.to_string()) },
                )
            }),
            ("delivery", {
                let s = shutdown.clone();
                tokio::spawn(async move {
                    delivery
                        .run_until_stopped(s)
                        .await
                        .map_err(|e| e.to_string())
                })
            }),
        ];
        let api = ApiClient::new(base.clone(), Some(ADMIN_KEY));
        Self {
            settings,
            api,
            base,
            receiver: Receiver::start().await,
            view,
            router_port,
            delivery_port,
            shutdown,
            tasks,
        }
    }

    /// Stops the services gracefully and waits for them; then cleans up.
    pub async fn stop(mut self) {
        self.stop_services().await;
    }

    /// Stops the services gracefully and waits for them, keeping the database for inspection.
    pub async fn stop_services(&mut self) {
        self.shutdown.cancel();
        for (name, t) in self.tasks.drain(..) {
            match tokio::time::timeout(Duration::from_secs(20), t).await {
                Err(_) => panic!("{name} did not stop within 20 s of the shutdown signal"),
                Ok(Err(join)) => panic!("{name} panicked: {join}"),
                Ok(Ok(Err(e))) => panic!("{name} failed: {e}"),
                Ok(Ok(Ok(()))) => {}
            }
        }
    }

    /// An app with an event type `user.created` and a subscription.
    pub async fn fixture(&self) -> Fixture {
        let app = created(
            self.api
                .post("/api/v1/apps", &json!({"name": unique("app")}))
                .await,
        );
        let app_id = app["id"].as_str().unwrap().to_owned();
        for name in ["user.created", "user.deleted"] {
            created(
                self.api
                    .post(
                        &format!("/api/v1/apps/{app_id}/event_types"),
                        &json!({ "name": name }),
                    )
                    .await,
            );
        }
        let sub = created(
            self.api
                .post(
                    &format!("/api/v1/apps/{app_id}/subscriptions"),
                    &json!({"name": unique("sub")}),
                )
                .await,
        );
        Fixture {
            app_id,
            subscription_id: sub["id"].as_str().unwrap().to_owned(),
        }
    }

    /// An endpoint on the receiver at `path`, and waits until the router routes to it.
    pub async fn endpoint(&self, f: &Fixture, path: &str, body: Value) -> Value {
        let mut body = body;
        body["url"] = json!(self.receiver.url(path));
        if body.get("event_types").is_none() {
            body["event_types"] = json!(["user.created"]);
        }
        let endpoint = created(
            self.api
                .post(
                    &format!("/api/v1/subscriptions/{}/endpoints", f.subscription_id),
                    &body,
                )
                .await,
        );
        let id: Uuid = endpoint["id"].as_str().unwrap().parse().unwrap();
        self.wait_view(|v| v.endpoint(id).is_some()).await;
        endpoint
    }

    /// Waits until the router's view satisfies `pred`.
    pub async fn wait_view(&self, pred: impl Fn(&hookd_router::view::Snapshot) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pred(&self.view.snapshot()) {
            assert!(Instant::now() < deadline, "router view did not catch up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn send(&self, f: &Fixture, body: Value) -> ApiResponse {
        self.api
            .post(&format!("/api/v1/apps/{}/messages", f.app_id), &body)
            .await
    }

    /// Polls `path` until `pred` holds on its JSON body.
    pub async fn eventually(
        &self,
        path: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let r = self.api.get(path).await;
            if r.status == 200 && pred(&r.body) {
                return r.body;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on {path}: {}",
                r.text
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A copy of every delivery job published: a queue of the test's own, bound like the
    /// workers'. The connection, a channel on it (the topology declared) and the queue's name.
    pub async fn tap_deliveries(&self) -> (lapin::Connection, lapin::Channel, String) {
        self.tap(&[hookd_bus::Route::Deliveries]).await
    }

    /// A copy of every envelope published on these routes, on a queue of the test's own.
    pub async fn tap(
        &self,
        routes: &[hookd_bus::Route],
    ) -> (lapin::Connection, lapin::Channel, String) {
        use lapin::options::{QueueBindOptions, QueueDeclareOptions};
        use lapin::types::FieldTable;
        let conn = hookd_bus::connect(self.settings.amqp.url.expose())
            .await
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        let topology = hookd_bus::Topology::new(self.settings.amqp.prefix.clone());
        topology.declare(&ch).await.unwrap();
        let queue = format!("{}tap", self.settings.amqp.prefix);
        let options = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..Default::default()
        };
        ch.queue_declare(queue.as_str().into(), options, FieldTable::default())
            .await
            .unwrap();
        for route in routes {
            ch.queue_bind(
                queue.as_str().into(),
                topology.exchange().as_str().into(),
                route.routing_key().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        }
        (conn, ch, queue)
    }

    /// A database connection to the test's database.
    pub async fn db(&self) -> hookd_db::Client {
        hookd_db::connect(self.settings.database.url.expose(), 1)
            .unwrap()
            .get()
            .await
            .unwrap()
    }
}

/// Rows per table of a test's database, to show that a refused request changed nothing.
pub type RowCounts = std::collections::BTreeMap<String, i64>;

impl TestStack {
    /// The number of rows of every table (migrations' bookkeeping aside).
    pub async fn row_counts(&self) -> RowCounts {
        let db = self.db().await;
        let tables = db
            .query(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'
                 AND tablename NOT LIKE '%migrations%' ORDER BY tablename",
                &[],
            )
            .await
            .expect("list tables");
        let mut counts = RowCounts::new();
        for t in tables {
            let name: String = t.get(0);
            let n: i64 = db
                .query_one(&format!("SELECT count(*) FROM \"{name}\""), &[])
                .await
                .expect("count rows")
                .get(0);
            counts.insert(name, n);
        }
        assert!(!counts.is_empty(), "no tables counted");
        counts
    }

    /// Asserts that no table gained or lost a row since `before` (tables in `except` aside).
    pub async fn assert_rows_unchanged(&self, before: &RowCounts, except: &[&str], what: &str) {
        let after = self.row_counts().await;
        let changed: Vec<String> = after
            .iter()
            .filter(|(t, n)| !except.contains(&t.as_str()) && before.get(*t) != Some(*n))
            .map(|(t, n)| format!("{t}: {:?} -> {n}", before.get(t)))
            .collect();
        assert!(changed.is_empty(), "{what} changed rows: {changed:?}");
    }
}

impl Drop for TestStack {
    fn drop(&mut self) {
        self.shutdown.cancel();
        cleanup(&self.settings);
    }
}

pub struct Fixture {
    pub app_id: String,
    pub subscription_id: String,
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &Uuid::new_v4().simple().to_string()[..8])
}

/// Asserts a 201 and returns the body.
pub fn created(r: ApiResponse) -> Value {
    assert_eq!(r.status, 201, "expected 201, got {}: {}", r.status, r.text);
    r.body
}

/// Asserts the error format and status.
pub fn assert_error(r: &ApiResponse, status: u16) {
    assert_eq!(
        r.status, status,
        "expected {status}, got {}: {}",
        r.status, r.text
    );
    assert_eq!(r.body["handled"], json!(true), "{}", r.text);
    assert_eq!(r.body["status"], json!(status), "{}", r.text);
    assert!(
        r.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        r.text
    );
    assert!(r.body.get("data").is_some(), "{}", r.text);
}
