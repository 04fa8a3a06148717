//! `hookd-chaos`: under steady load (the messages API and a gateway source URL, each at the
//! same rate), kills and restarts parts of a running hookd, then waits and counts, for each
//! side apart: accepted against delivered, duplicates, and how long each recovery took. Prints
//! one JSON object; fails on a loss or a part that did not recover. Traffic stays on 127.0.0.1.
//!
//! Usage, from the repository root (BIN_DIR defaults to `target/release`):
//! - `hookd-chaos [BIN_DIR]`: one of each service on the machine's RabbitMQ and PostgreSQL;
//!   SIGKILLs each service in turn, restarts RabbitMQ, crashes PostgreSQL.
//! - `hookd-chaos --cluster [BIN_DIR]`: a 3-node RabbitMQ cluster of its own
//!   (`rabbit_cluster.rs`, under `BIN_DIR/../chaos-cluster`) and two replicas of each service;
//!   SIGKILLs one replica of each service and one RabbitMQ node, restarting each later. Also
//!   fails when the duplicates exceed 0.1% or hookd's queues are not on all three nodes.
//! - `hookd-chaos --stop-cluster [BIN_DIR]`: stops cluster nodes an interrupted run left.

mod load;
mod rabbit_cluster;
mod scenario;
mod stack;
mod tally;

use rabbit_cluster::Cluster;
use scenario::Event;
use serde_json::{json, Value};
use stack::{Layout, Service, Stack};
use std::path::Path;

const LOAD_SECS: u64 = 75;
/// The bound on duplicates, on either side, in both modes (issues 13 and 14: at most 0.1%).
const MAX_DUPLICATE_RATIO: f64 = 0.001;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let bin_dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "target/release".into());
    let cluster_dir = Path::new(&bin_dir)
        .parent()
        .unwrap_or(Path::new("."))
        .join("chaos-cluster");
    if flag("--stop-cluster") {
        rabbit_cluster::stop_leftovers(&cluster_dir).await;
        return Ok(());
    }
    let receiver = hookd_testkit::Receiver::start().await;
    let report = if flag("--cluster") {
        cluster_run(&bin_dir, &cluster_dir, &receiver).await?
    } else {
        single_run(&bin_dir, &receiver).await?
    };
    println!("{}", serde_json::to_string_pretty(&report)?);
    verdict(&report)
}

async fn single_run(bin_dir: &str, receiver: &hookd_testkit::Receiver) -> anyhow::Result<Value> {
    let mut stack = Stack::start(bin_dir, Layout::single()).await?;
    // HOOKD_CHAOS_SERVICES_ONLY=1 leaves the broker and the database alone (a shared machine).
    let services_only = std::env::var_os("HOOKD_CHAOS_SERVICES_ONLY").is_some();
    let plan: Vec<(u64, Event)> = [
        (5, Event::KillAndRestart(Service::Ingest)),
        (15, Event::KillAndRestart(Service::Router)),
        (25, Event::KillAndRestart(Service::Delivery)),
        (35, Event::RestartRabbitmq),
        (50, Event::CrashPostgresql),
    ]
    .into_iter()
    .filter(|(_, e)| !services_only || matches!(e, Event::KillAndRestart(_)))
    .collect();
    let result = scenario::run(&mut stack, None, receiver, &plan, LOAD_SECS).await;
    stack.stop_all().await;
    let mut report = result?;
    report["scenario"] = json!("chaos");
    report["max_duplicate_ratio"] = json!(MAX_DUPLICATE_RATIO);
    Ok(report)
}

async fn cluster_run(
    bin_dir: &str,
    dir: &Path,
    receiver: &hookd_testkit::Receiver,
) -> anyhow::Result<Value> {
    eprintln!(
        "chaos: starting a 3-node RabbitMQ cluster in {}",
        dir.display()
    );
    let mut cluster = Cluster::start(dir).await?;
    let result = cluster_scenario(bin_dir, &mut cluster, receiver).await;
    cluster.stop().await;
    result
}

async fn cluster_scenario(
    bin_dir: &str,
    cluster: &mut Cluster,
    receiver: &hookd_testkit::Receiver,
) -> anyhow::Result<Value> {
    let mut stack = Stack::start(bin_dir, Layout::cluster(rabbit_cluster::amqp_urls())).await?;
    let plan = [
        (5, Event::Kill(Service::Ingest)),
        (10, Event::Restart(Service::Ingest)),
        (15, Event::Kill(Service::Router)),
        (20, Event::Restart(Service::Router)),
        (25, Event::Kill(Service::Delivery)),
        (30, Event::Restart(Service::Delivery)),
        // Node 1 is where every service connected first and where the queues' leaders are.
        (35, Event::KillNode(1)),
        (45, Event::RestartNode(1)),
    ];
    let result = async {
        let before = cluster.queues("chaos.").await?;
        replicated_on_all(&before)?;
        let mut report =
            scenario::run(&mut stack, Some(&mut *cluster), receiver, &plan, LOAD_SECS).await?;
        report["queues_before"] = json!(before);
        Ok::<_, anyhow::Error>(report)
    }
    .await;
    stack.stop_all().await;
    let mut report = result?;
    report["scenario"] = json!("chaos --cluster");
    report["rabbitmq_nodes_running_after"] = json!(cluster.running_nodes().await?);
    report["queues_after"] = json!(cluster.queues("chaos.").await?);
    report["max_duplicate_ratio"] = json!(MAX_DUPLICATE_RATIO);
    Ok(report)
}

/// Each of hookd's queues is a quorum queue with a member on every node.
fn replicated_on_all(queues: &[Value]) -> anyhow::Result<()> {
    anyhow::ensure!(queues.len() >= 4, "hookd's queues are missing: {queues:?}");
    for q in queues {
        let members = q["members"].as_array().map_or(0, Vec::len);
        anyhow::ensure!(
            q["type"] == "quorum" && members == rabbit_cluster::NODES as usize,
            "queue {} is not a quorum queue on all {} nodes: {q}",
            q["name"],
            rabbit_cluster::NODES
        );
    }
    Ok(())
}

fn verdict(report: &Value) -> anyhow::Result<()> {
    if report["lost"].as_u64() != Some(0) {
        anyhow::bail!("accepted messages were lost");
    }
    if report["gateway"]["lost"].as_u64() != Some(0) {
        anyhow::bail!("accepted inbound requests (gateway) were lost");
    }
    let stuck: Vec<&str> = report["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["recovered"] != json!(true))
        .filter_map(|e| e["event"].as_str())
        .collect();
    if !stuck.is_empty() {
        anyhow::bail!("deliveries did not flow again within 120 s after: {stuck:?}");
    }
    if let Some(max) = report["max_duplicate_ratio"].as_f64() {
        for (side, ratio) in [
            ("messages", &report["duplicate_ratio"]),
            ("gateway", &report["gateway"]["duplicate_ratio"]),
        ] {
            if ratio.as_f64().is_none_or(|r| r > max) {
                anyhow::bail!("{side}: duplicate ratio {ratio} above {max}");
            }
        }
        if let Some(q) = report["queues_after"].as_array() {
            replicated_on_all(q)?;
            for q in q {
                let online = q["online"].as_array().map_or(0, Vec::len);
                anyhow::ensure!(
                    online == rabbit_cluster::NODES as usize,
                    "queue {} has {online} members online after the run",
                    q["name"]
                );
            }
        }
    }
    Ok(())
}
