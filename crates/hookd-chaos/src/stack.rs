use hookd_testkit::ApiClient;
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

const DB_URL: &str = "postgres://postgres@127.0.0.1:5432/hookd_chaos";
const API: &str = "127.0.0.1:18180";
const KEY: &str = "hookd_dev_key";

#[derive(Debug, Clone, Copy)]
pub enum Service {
    Ingest,
    Router,
    Delivery,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Ingest => "ingest",
            Service::Router => "router",
            Service::Delivery => "delivery",
        }
    }
}

/// The three services as child processes on their own database and broker prefix.
pub struct Stack {
    bin_dir: String,
    children: Vec<(Service, Child)>,
}

fn command(bin_dir: &str, program: &str) -> Command {
    let mut c = Command::new(format!("{bin_dir}/{program}"));
    c.env("HOOKD_PROFILE", "local")
        .env("HOOKD__DATABASE__URL", DB_URL)
        .env("HOOKD__AMQP__PREFIX", "chaos.")
        .env("HOOKD__INGEST__LISTEN", API)
        .env("HOOKD__ROUTER__LISTEN", "127.0.0.1:18181")
        .env("HOOKD__DELIVERY__LISTEN", "127.0.0.1:18182")
        .env(
            "HOOKD__DELIVERY__RETRY_SCHEDULE",
            "0s,1s,2s,5s,10s,10s,20s,30s,60s",
        )
        .env("HOOKD__DELIVERY__LEASE", "10s")
        .env("HOOKD__ROUTER__RELAY_AFTER", "5s")
        .env("HOOKD__RATELIMIT__MANAGEMENT_PER_SECOND", "0")
        .env("HOOKD__LOG__LEVEL", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    c
}

impl Stack {
    /// A fresh database, migrated, and the three services.
    pub async fn start(bin_dir: &str) -> anyhow::Result<Self> {
        let status = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-q",
                "-c",
                "DROP DATABASE IF EXISTS hookd_chaos WITH (FORCE)",
            ])
            .status()
            .await?;
        anyhow::ensure!(status.success(), "could not drop hookd_chaos");
        let status = command(bin_dir, "hookd").arg("migrate").status().await?;
        anyhow::ensure!(status.success(), "hookd migrate failed");
        let mut stack = Self {
            bin_dir: bin_dir.to_owned(),
            children: Vec::new(),
        };
        for s in [Service::Ingest, Service::Router, Service::Delivery] {
            stack.spawn(s)?;
        }
        stack.wait_ready().await?;
        Ok(stack)
    }

    fn spawn(&mut self, service: Service) -> anyhow::Result<()> {
        let child = command(&self.bin_dir, &format!("hookd-{}", service.name())).spawn()?;
        self.children.push((service, child));
        Ok(())
    }

    pub fn api(&self) -> ApiClient {
        ApiClient::new(format!("http://{API}"), Some(KEY))
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let health = ApiClient::new(format!("http://{API}"), None);
        for _ in 0..100 {
            if let Ok(r) = health.try_get("/readyz").await {
                if r.status == 200 {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("ingest never became ready")
    }

    /// An app with one endpoint on the receiver; returns the app id.
    pub async fn setup(&self, url: &str) -> anyhow::Result<String> {
        let api = self.api();
        let app = api.post("/api/v1/apps", &json!({"name": "chaos"})).await;
        let app_id = app.body["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("app: {}", app.text))?
            .to_owned();
        api.post(
            &format!("/api/v1/apps/{app_id}/event_types"),
            &json!({"name": "chaos.tick"}),
        )
        .await;
        let sub = api
            .post(
                &format!("/api/v1/apps/{app_id}/subscriptions"),
                &json!({"name": "s"}),
            )
            .await;
        let sub_id = sub.body["id"].as_str().unwrap_or_default().to_owned();
        let e = api
            .post(
                &format!("/api/v1/subscriptions/{sub_id}/endpoints"),
                &json!({"url": url, "event_types": ["chaos.tick"]}),
            )
            .await;
        anyhow::ensure!(e.status == 201, "endpoint: {}", e.text);
        // The router reloads its view within a second.
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok(app_id)
    }

    /// A gateway source with one connection to a destination on the receiver; returns the
    /// source's path (`/e/src_...`), which the inbound load posts to.
    pub async fn setup_gateway(&self, url: &str) -> anyhow::Result<String> {
        let c = self
            .api()
            .post(
                "/2024-03-01/connections",
                &json!({
                    "name": "chaos",
                    "source": {"name": "chaos"},
                    "destination": {"name": "chaos-dst", "url": url},
                }),
            )
            .await;
        anyhow::ensure!(c.status == 200, "connection: {}", c.text);
        let source_url = c.body["source"]["url"].as_str().unwrap_or_default();
        // The source URL names the configured public host; the load goes to the local ingest.
        let path = source_url
            .find("/e/")
            .map(|at| source_url[at..].to_owned())
            .ok_or_else(|| anyhow::anyhow!("no source url in {}", c.text))?;
        Ok(path)
    }

    /// SIGKILL, a moment down, then a new process.
    pub async fn kill_and_restart(&mut self, service: Service) -> anyhow::Result<()> {
        if let Some(pos) = self
            .children
            .iter()
            .position(|(s, _)| s.name() == service.name())
        {
            let (_, mut child) = self.children.remove(pos);
            child.start_kill()?;
            let _ = child.wait().await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.spawn(service)?;
        if let Service::Ingest = service {
            self.wait_ready().await?;
        }
        Ok(())
    }

    pub async fn stop_all(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
        self.children.clear();
    }
}

async fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .await?;
    anyhow::ensure!(status.success(), "{program} {args:?} failed");
    Ok(())
}

/// Stops and starts the RabbitMQ node's application (the broker restarts; quorum queues keep
/// their messages).
pub async fn restart_rabbitmq() -> anyhow::Result<()> {
    run("rabbitmqctl", &["stop_app"]).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    run("rabbitmqctl", &["start_app"]).await
}

/// Restarts the PostgreSQL cluster (every connection drops).
pub async fn crash_postgresql() -> anyhow::Result<()> {
    let versions = std::fs::read_dir("/etc/postgresql")?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect::<Vec<_>>();
    for v in versions {
        // Immediate mode is a crash: no checkpoint, whatever only the WAL buffers held is
        // what recovery must cope with (synchronous_commit = off is what this tries).
        run(
            "pg_ctlcluster",
            &[
                "--skip-systemctl-redirect",
                "-m",
                "immediate",
                &v,
                "main",
                "restart",
            ],
        )
        .await?;
    }
    Ok(())
}
