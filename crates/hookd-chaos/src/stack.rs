use hookd_testkit::ApiClient;
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

const KEY: &str = "hookd_dev_key";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Ingest,
    Router,
    Delivery,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Ingest => "ingest",
            Service::Router => "router",
            Service::Delivery => "delivery",
        }
    }

    /// Offset of the service's listen port from its replica's base port.
    fn port_offset(self) -> u16 {
        match self {
            Service::Ingest => 0,
            Service::Router => 1,
            Service::Delivery => 2,
        }
    }
}

/// Where the stack runs: its database, ports, broker and how many replicas of each service.
#[derive(Debug, Clone)]
pub struct Layout {
    pub database: &'static str,
    /// Replica `r` of a service listens on `port_base + 10 r + offset` (ingest 0, router 1,
    /// delivery 2).
    pub port_base: u16,
    /// `HOOKD__AMQP__URL`; the local profile's broker when None.
    pub amqp_url: Option<String>,
    pub replicas: u16,
}

impl Layout {
    /// One of each service on the machine's broker.
    pub fn single() -> Self {
        Self {
            database: "hookd_chaos",
            port_base: 18180,
            amqp_url: None,
            replicas: 1,
        }
    }

    /// Two of each service on the nodes `amqp_urls` names.
    pub fn cluster(amqp_urls: String) -> Self {
        Self {
            database: "hookd_chaos_cluster",
            port_base: 18280,
            amqp_url: Some(amqp_urls),
            replicas: 2,
        }
    }

    fn port(&self, service: Service, replica: u16) -> u16 {
        self.port_base + 10 * replica + service.port_offset()
    }

    fn db_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.database)
    }
}

/// The services as child processes on their own database and broker prefix.
pub struct Stack {
    bin_dir: String,
    layout: Layout,
    children: Vec<(Service, u16, Child)>,
}

impl Stack {
    /// A fresh database, migrated, and `layout.replicas` of each service.
    pub async fn start(bin_dir: &str, layout: Layout) -> anyhow::Result<Self> {
        let status = Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-q", "-c"])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                layout.database
            ))
            .status()
            .await?;
        anyhow::ensure!(status.success(), "could not drop {}", layout.database);
        let mut stack = Self {
            bin_dir: bin_dir.to_owned(),
            layout,
            children: Vec::new(),
        };
        let status = stack.command("hookd", 0).arg("migrate").status().await?;
        anyhow::ensure!(status.success(), "hookd migrate failed");
        for replica in 0..stack.layout.replicas {
            for s in [Service::Ingest, Service::Router, Service::Delivery] {
                stack.spawn(s, replica)?;
            }
        }
        for replica in 0..stack.layout.replicas {
            stack.wait_ready(replica).await?;
        }
        Ok(stack)
    }

    fn command(&self, program: &str, replica: u16) -> Command {
        let l = &self.layout;
        let listen = |s| format!("127.0.0.1:{}", l.port(s, replica));
        let mut c = Command::new(format!("{}/{program}", self.bin_dir));
        c.env("HOOKD_PROFILE", "local")
            .env("HOOKD__DATABASE__URL", l.db_url())
            .env("HOOKD__AMQP__PREFIX", "chaos.")
            .env("HOOKD__INGEST__LISTEN", listen(Service::Ingest))
            .env("HOOKD__ROUTER__LISTEN", listen(Service::Router))
            .env("HOOKD__DELIVERY__LISTEN", listen(Service::Delivery))
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
        if let Some(url) = &l.amqp_url {
            c.env("HOOKD__AMQP__URL", url);
        }
        c
    }

    fn spawn(&mut self, service: Service, replica: u16) -> anyhow::Result<()> {
        let child = self
            .command(&format!("hookd-{}", service.name()), replica)
            .spawn()?;
        self.children.push((service, replica, child));
        Ok(())
    }

    fn api_of(&self, replica: u16) -> ApiClient {
        let port = self.layout.port(Service::Ingest, replica);
        ApiClient::new(format!("http://127.0.0.1:{port}"), Some(KEY))
    }

    /// The API of the first ingest replica.
    pub fn api(&self) -> ApiClient {
        self.api_of(0)
    }

    /// The API of every ingest replica (the load goes round them).
    pub fn apis(&self) -> Vec<ApiClient> {
        (0..self.layout.replicas).map(|r| self.api_of(r)).collect()
    }

    async fn wait_ready(&self, replica: u16) -> anyhow::Result<()> {
        let health = self.api_of(replica).with_key(None);
        for _ in 0..100 {
            if let Ok(r) = health.try_get("/readyz").await {
                if r.status == 200 {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("ingest replica {replica} never became ready")
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

    /// SIGKILL of the service's first replica.
    pub async fn kill(&mut self, service: Service) -> anyhow::Result<()> {
        if let Some(pos) = self
            .children
            .iter()
            .position(|(s, r, _)| *s == service && *r == 0)
        {
            let (_, _, mut child) = self.children.remove(pos);
            child.start_kill()?;
            let _ = child.wait().await;
        }
        Ok(())
    }

    /// A new process for the service's first replica (after `kill`).
    pub async fn restart(&mut self, service: Service) -> anyhow::Result<()> {
        self.spawn(service, 0)?;
        if let Service::Ingest = service {
            self.wait_ready(0).await?;
        }
        Ok(())
    }

    pub async fn stop_all(&mut self) {
        for (_, _, child) in &mut self.children {
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
