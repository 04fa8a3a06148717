//! A 3-node RabbitMQ cluster of its own on this machine, for `hookd-chaos --cluster`: nodes
//! `hookd-chaos-N@localhost` with AMQP on 127.0.0.1:568N and distribution on 2568N; data, logs,
//! configuration and the Erlang cookie under one directory (`target/chaos-cluster`). The
//! machine's own broker (`rabbit@localhost`, 5672/25672) is never touched: these nodes read none
//! of its files (their own config, env file and HOME), and their cookie differs, so neither
//! side's CLI can reach the other's nodes. Only the shared epmd (4369) holds their names.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

pub const NODES: u16 = 3;
const AMQP_BASE: u16 = 5680;
const DIST_BASE: u16 = 25680;
/// The scripts themselves: Debian's /usr/sbin wrappers would switch to the `rabbitmq` user and
/// its HOME (the machine broker's cookie).
const SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const CTL: &str = "/usr/lib/rabbitmq/bin/rabbitmqctl";

pub fn node_name(n: u16) -> String {
    format!("hookd-chaos-{n}@localhost")
}

/// The nodes' AMQP URLs, comma-separated: what hookd's `amqp.url` takes for a cluster.
pub fn amqp_urls() -> String {
    (1..=NODES)
        .map(|n| format!("amqp://guest:guest@127.0.0.1:{}/%2f", AMQP_BASE + n))
        .collect::<Vec<_>>()
        .join(",")
}

pub struct Cluster {
    dir: PathBuf,
    /// The `rabbitmq-server` processes, by node number - 1 (None while a node is down).
    nodes: Vec<Option<Child>>,
}

impl Cluster {
    /// Fresh data for three nodes, started and joined to node 1.
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        for n in 1..=NODES {
            for port in [AMQP_BASE + n, DIST_BASE + n] {
                anyhow::ensure!(
                    std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
                    "port {port} is taken (nodes of an earlier run? `hookd-chaos --stop-cluster`)"
                );
            }
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir.join("home"))?;
        let cookie = dir.join("home/.erlang.cookie");
        std::fs::write(&cookie, format!("HOOKDCHAOS{}", std::process::id()))?;
        set_owner_only(&cookie)?;
        std::fs::write(dir.join("enabled_plugins"), "[].\n")?;
        std::fs::write(dir.join("rabbitmq-env.conf"), "")?;
        let mut cluster = Self {
            dir: dir.to_owned(),
            nodes: (0..NODES).map(|_| None).collect(),
        };
        for n in 1..=NODES {
            let node_dir = cluster.node_dir(n);
            std::fs::create_dir_all(node_dir.join("log"))?;
            std::fs::write(
                node_dir.join("rabbitmq.conf"),
                format!("listeners.tcp.1 = 127.0.0.1:{}\n", AMQP_BASE + n),
            )?;
            cluster.spawn(n)?;
        }
        for n in 1..=NODES {
            cluster.await_startup(n).await?;
        }
        for n in 2..=NODES {
            let node = node_name(n);
            for args in [
                vec!["stop_app"],
                vec!["reset"],
                vec!["join_cluster", &node_name(1)],
                vec!["start_app"],
            ] {
                cluster.ctl(&node, &args).await?;
            }
        }
        let running = cluster.running_nodes().await?;
        anyhow::ensure!(
            running.len() == NODES as usize,
            "the cluster runs {running:?}"
        );
        Ok(cluster)
    }

    fn node_dir(&self, n: u16) -> PathBuf {
        self.dir.join(format!("node{n}"))
    }

    /// Environment of the nodes and of the CLI: this cluster's files only.
    fn env(&self, c: &mut Command) {
        c.env("HOME", self.dir.join("home"))
            .env("RABBITMQ_CONF_ENV_FILE", self.dir.join("rabbitmq-env.conf"))
            .env("ERL_EPMD_ADDRESS", "127.0.0.1");
    }

    fn spawn(&mut self, n: u16) -> anyhow::Result<()> {
        let node_dir = self.node_dir(n);
        let mut c = Command::new(SERVER);
        self.env(&mut c);
        c.env("RABBITMQ_NODENAME", node_name(n))
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", (AMQP_BASE + n).to_string())
            .env("RABBITMQ_DIST_PORT", (DIST_BASE + n).to_string())
            .env(
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "-kernel inet_dist_use_interface {127,0,0,1}",
            )
            .env("RABBITMQ_CONFIG_FILE", node_dir.join("rabbitmq.conf"))
            .env("RABBITMQ_MNESIA_BASE", node_dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", node_dir.join("log"))
            // The script then execs the Erlang VM instead of waiting on it as a child: the
            // process spawned here is the node, and killing it kills the node.
            .env("RUNNING_UNDER_SYSTEMD", "true")
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                self.dir.join("enabled_plugins"),
            )
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(node_dir.join("log/stdout"))?)
            .stderr(Stdio::null())
            .kill_on_drop(true);
        self.nodes[usize::from(n - 1)] = Some(c.spawn()?);
        Ok(())
    }

    /// `rabbitmqctl -n NODE ARGS...` as this cluster's CLI; its output.
    async fn ctl(&self, node: &str, args: &[&str]) -> anyhow::Result<String> {
        let mut c = Command::new(CTL);
        self.env(&mut c);
        let out = c
            .arg("-n")
            .arg(node)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await?;
        anyhow::ensure!(
            out.status.success(),
            "rabbitmqctl -n {node} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Waits until node `n` runs (its name is registered only some time after the start).
    async fn await_startup(&self, n: u16) -> anyhow::Result<()> {
        let mut last = None;
        for _ in 0..90 {
            match self
                .ctl(&node_name(n), &["await_startup", "--timeout", "120"])
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("node {n} never started")))
    }

    /// The node to ask about the cluster: the first one up.
    fn asked(&self) -> String {
        let up = self.nodes.iter().position(Option::is_some).unwrap_or(0);
        node_name(up as u16 + 1)
    }

    /// Nodes the cluster sees running.
    pub async fn running_nodes(&self) -> anyhow::Result<Vec<String>> {
        let out = self
            .ctl(&self.asked(), &["cluster_status", "--formatter", "json"])
            .await?;
        let status: Value = serde_json::from_str(&out)?;
        Ok(status["running_nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect())
    }

    /// hookd's queues (names starting with `prefix`): type, members and online members.
    pub async fn queues(&self, prefix: &str) -> anyhow::Result<Vec<Value>> {
        let out = self
            .ctl(
                &self.asked(),
                &[
                    "list_queues",
                    "name",
                    "type",
                    "members",
                    "online",
                    "leader",
                    "--formatter",
                    "json",
                ],
            )
            .await?;
        let all: Vec<Value> = serde_json::from_str(&out)?;
        Ok(all
            .into_iter()
            .filter(|q| q["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
            .collect())
    }

    /// SIGKILL of node `n`'s Erlang VM: no goodbye to clients or peers.
    pub async fn kill(&mut self, n: u16) -> anyhow::Result<()> {
        let mut child = self.nodes[usize::from(n - 1)]
            .take()
            .ok_or_else(|| anyhow::anyhow!("node {n} is not running"))?;
        child.start_kill()?;
        child.wait().await?;
        Ok(())
    }

    /// Starts node `n` again on its data; it rejoins the cluster by itself.
    pub async fn restart(&mut self, n: u16) -> anyhow::Result<()> {
        self.spawn(n)?;
        self.await_startup(n).await
    }

    /// Stops every node still running (gracefully, then by SIGKILL of what is left).
    pub async fn stop(&mut self) {
        for n in (1..=NODES).rev() {
            let Some(mut child) = self.nodes[usize::from(n - 1)].take() else {
                continue;
            };
            let stopped =
                tokio::time::timeout(Duration::from_secs(60), self.ctl(&node_name(n), &["stop"]))
                    .await;
            if matches!(stopped, Ok(Ok(_)))
                && tokio::time::timeout(Duration::from_secs(30), child.wait())
                    .await
                    .is_ok()
            {
                continue;
            }
            eprintln!("chaos: {} did not stop; killing it", node_name(n));
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }
}

/// Stops the nodes an earlier run left behind (the run was killed before its clean-up): asks
/// each node by name with this cluster's cookie, so only these nodes can answer.
pub async fn stop_leftovers(dir: &Path) {
    if !dir.join("home/.erlang.cookie").exists() {
        return;
    }
    let cluster = Cluster {
        dir: dir.to_owned(),
        nodes: Vec::new(),
    };
    for n in 1..=NODES {
        if cluster.ctl(&node_name(n), &["stop"]).await.is_ok() {
            eprintln!("chaos: stopped {} left by an earlier run", node_name(n));
        }
    }
}

fn set_owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o400))
}
