//! The hookd stack as `make run` starts it: `hookd migrate`, then `hookd-ingest`,
//! `hookd-router` and `hookd-delivery` as child processes on the local profile, here on a
//! dedicated database and broker prefix that are wiped first.
//!
//! Children are killed when the [`Stack`] is dropped (`kill_on_drop`), so an error, a panic or
//! Ctrl-C in the orchestrator never leaves them running.

use crate::generator::Generator;
use crate::procstat::{self, ProcSample};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The three services, in start order.
pub const SERVICES: [&str; 3] = ["ingest", "router", "delivery"];

/// Where and how to run the stack.
#[derive(Debug, Clone)]
pub struct StackConfig {
    /// Directory of the release binaries (`target/release`).
    pub bin_dir: PathBuf,
    /// Working directory of the services (the workspace root, where `config/` is).
    pub root: PathBuf,
    /// Server URL without a database, such as `postgres://postgres@127.0.0.1:5432`.
    pub pg_base: String,
    /// Database dropped and recreated for each start.
    pub database: String,
    pub amqp_url: String,
    /// Broker name prefix whose queues are deleted for each start.
    pub amqp_prefix: String,
    /// Ports of ingest (the API), router and delivery (health and metrics).
    pub ports: [u16; 3],
    /// Where the services' output goes, one file per scenario and service.
    pub log_dir: PathBuf,
}

impl StackConfig {
    pub fn database_url(&self) -> String {
        format!("{}/{}", self.pg_base.trim_end_matches('/'), self.database)
    }

    pub fn api_base(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports[0])
    }

    /// The environment every service gets (plus the scenario's own settings).
    fn env(&self) -> Vec<(String, String)> {
        let listen = |i: usize| format!("127.0.0.1:{}", self.ports[i]);
        vec![
            ("HOOKD_PROFILE".into(), "local".into()),
            (
                "HOOKD_CONFIG_DIR".into(),
                self.root.join("config").display().to_string(),
            ),
            ("HOOKD__DATABASE__URL".into(), self.database_url()),
            ("HOOKD__AMQP__URL".into(), self.amqp_url.clone()),
            ("HOOKD__AMQP__PREFIX".into(), self.amqp_prefix.clone()),
            ("HOOKD__LOG__LEVEL".into(), "warn".into()),
            ("HOOKD__INGEST__LISTEN".into(), listen(0)),
            ("HOOKD__ROUTER__LISTEN".into(), listen(1)),
            ("HOOKD__DELIVERY__LISTEN".into(), listen(2)),
        ]
    }
}

struct Service {
    name: &'static str,
    child: Child,
    pid: u32,
}

/// The running services.
pub struct Stack {
    services: Vec<Service>,
}

impl Stack {
    /// Wipes the bench database and broker names, migrates, starts the services with the
    /// scenario's extra environment and waits until each answers `/readyz` (60 s at most).
    pub async fn start(
        cfg: &StackConfig,
        scenario: &str,
        extra: &[(String, String)],
    ) -> Result<Self> {
        for port in cfg.ports {
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                bail!("port {port} is in use (another hookd?); choose others with --port-base");
            }
        }
        reset(cfg).await?;
        std::fs::create_dir_all(&cfg.log_dir)
            .with_context(|| format!("creating {}", cfg.log_dir.display()))?;
        let mut env = cfg.env();
        env.extend(extra.iter().cloned());

        let migrate_log = cfg.log_dir.join(format!("{scenario}-migrate.log"));
        let status = tokio::time::timeout(
            Duration::from_secs(120),
            command(cfg, "hookd", &env, &migrate_log)?
                .arg("migrate")
                .status(),
        )
        .await
        .context("`hookd migrate` took over 2 minutes")?
        .context("running `hookd migrate`")?;
        if !status.success() {
            bail!(
                "`hookd migrate` failed ({status}); see {}",
                migrate_log.display()
            );
        }

        let mut stack = Self {
            services: Vec::new(),
        };
        for name in SERVICES {
            let log = cfg.log_dir.join(format!("{scenario}-{name}.log"));
            let child = command(cfg, &format!("hookd-{name}"), &env, &log)?
                .spawn()
                .with_context(|| format!("starting hookd-{name}"))?;
            let pid = child.id().context("child pid")?;
            stack.services.push(Service { name, child, pid });
        }
        stack.wait_ready(cfg, Duration::from_secs(60)).await?;
        Ok(stack)
    }

    async fn wait_ready(&mut self, cfg: &StackConfig, within: Duration) -> Result<()> {
        let probe = Generator::new(1);
        let deadline = Instant::now() + within;
        for (i, port) in cfg.ports.iter().enumerate() {
            loop {
                for s in &mut self.services {
                    if let Some(status) = s.child.try_wait()? {
                        bail!(
                            "hookd-{} exited during start-up ({status}); see {}",
                            s.name,
                            cfg.log_dir.display()
                        );
                    }
                }
                if ready(&probe, *port).await {
                    break;
                }
                if Instant::now() > deadline {
                    bail!("hookd-{} not ready after {within:?}", SERVICES[i]);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Memory and CPU of each service now, by name.
    pub fn samples(&self) -> Vec<(&'static str, ProcSample)> {
        self.services
            .iter()
            .map(|s| (s.name, procstat::sample(s.pid).unwrap_or_default()))
            .collect()
    }

    /// A service that has exited, if any.
    pub fn exited(&mut self) -> Option<&'static str> {
        self.services
            .iter_mut()
            .find_map(|s| (!matches!(s.child.try_wait(), Ok(None))).then_some(s.name))
    }

    /// SIGTERM, up to 10 s of graceful shutdown, then SIGKILL.
    pub async fn stop(mut self) {
        for s in &self.services {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &s.pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
        for s in &mut self.services {
            if tokio::time::timeout(Duration::from_secs(10), s.child.wait())
                .await
                .is_err()
            {
                let _ = s.child.kill().await;
            }
        }
    }
}

/// `GET /readyz` on one of the stack's ports answers 200 within 2 s.
async fn ready(probe: &Generator, port: u16) -> bool {
    let url = format!("http://127.0.0.1:{port}/readyz");
    tokio::time::timeout(Duration::from_secs(2), probe.get(&url))
        .await
        .ok()
        .flatten()
        == Some(200)
}

fn command(
    cfg: &StackConfig,
    binary: &str,
    env: &[(String, String)],
    log: &std::path::Path,
) -> Result<Command> {
    let path = cfg.bin_dir.join(binary);
    if !path.is_file() {
        bail!(
            "{} not found: build it first (cargo build --release -p hookd -p hookd-ingest -p hookd-router -p hookd-delivery)",
            path.display()
        );
    }
    let out = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let mut cmd = Command::new(path);
    cmd.current_dir(&cfg.root)
        .env_remove("RUST_LOG")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::from(out.try_clone()?))
        .stderr(Stdio::from(out))
        .kill_on_drop(true);
    Ok(cmd)
}

/// Drops the bench database and deletes the prefix's exchanges and queues.
async fn reset(cfg: &StackConfig) -> Result<()> {
    hookd_db::drop_database(&cfg.database_url())
        .await
        .with_context(|| format!("dropping database {} (is PostgreSQL up?)", cfg.database))?;
    let conn = hookd_bus::connect(&cfg.amqp_url)
        .await
        .context("connecting to RabbitMQ")?;
    let ch = conn.create_channel().await.context("AMQP channel")?;
    hookd_bus::Topology::new(cfg.amqp_prefix.clone())
        .delete(&ch)
        .await
        .context("deleting the bench queues")?;
    let _ = conn.close(200, "bench reset".into()).await;
    Ok(())
}
