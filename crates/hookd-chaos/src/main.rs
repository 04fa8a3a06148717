//! `hookd-chaos`: under steady load, SIGKILLs each service in turn (and restarts it), restarts
//! RabbitMQ and PostgreSQL, then waits and counts: accepted against delivered, duplicates, and
//! how long each recovery took. Prints one JSON object. Traffic stays on 127.0.0.1.
//!
//! Usage: `hookd-chaos [BIN_DIR]` (default `target/release`), run from the repository root.

mod load;
mod stack;

use serde_json::json;
use stack::{Service, Stack};
use std::time::{Duration, Instant};

const RATE_PER_SEC: u64 = 100;
const LOAD_SECS: u64 = 75;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bin_dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/release".into());
    let receiver = hookd_testkit::Receiver::start().await;
    let mut stack = Stack::start(&bin_dir).await?;
    let result = run(&mut stack, &receiver).await;
    stack.stop_all().await;
    let report = result?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if report["lost"].as_u64() != Some(0) {
        anyhow::bail!("accepted messages were lost");
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
    Ok(())
}

async fn run(
    stack: &mut Stack,
    receiver: &hookd_testkit::Receiver,
) -> anyhow::Result<serde_json::Value> {
    let app_id = stack.setup(&receiver.url("/chaos")).await?;
    let load = load::Load::start(
        stack.api(),
        app_id,
        RATE_PER_SEC,
        Duration::from_secs(LOAD_SECS),
    );
    let started = Instant::now();
    let mut events = Vec::new();

    // HOOKD_CHAOS_SERVICES_ONLY=1 leaves the broker and the database alone (a shared machine).
    let services_only = std::env::var_os("HOOKD_CHAOS_SERVICES_ONLY").is_some();
    let plan = [
        (5, "kill ingest"),
        (15, "kill router"),
        (25, "kill delivery"),
        (35, "restart rabbitmq"),
        (50, "crash postgresql"),
    ];
    for (at, what) in plan
        .into_iter()
        .filter(|(_, w)| !services_only || w.starts_with("kill"))
    {
        let wait = Duration::from_secs(at).saturating_sub(started.elapsed());
        tokio::time::sleep(wait).await;
        eprintln!("chaos: {what} at {:.1}s", started.elapsed().as_secs_f64());
        let before = receiver.received().len();
        let event_at = Instant::now();
        match what {
            "kill ingest" => stack.kill_and_restart(Service::Ingest).await?,
            "kill router" => stack.kill_and_restart(Service::Router).await?,
            "kill delivery" => stack.kill_and_restart(Service::Delivery).await?,
            "restart rabbitmq" => stack::restart_rabbitmq().await?,
            _ => stack::crash_postgresql().await?,
        }
        // Recovered when deliveries flow again past what had arrived before the event.
        let recovered = receiver
            .wait_for(Duration::from_secs(120), |r| {
                r.len() > before + RATE_PER_SEC as usize
            })
            .await;
        events.push(json!({
            "event": what,
            "at_s": (event_at - started).as_secs_f64(),
            "recovered": recovered,
            "recovery_s": event_at.elapsed().as_secs_f64(),
        }));
    }

    let sent = load.finish().await;
    let accepted = sent.accepted.len();
    eprintln!(
        "chaos: load done, {accepted} accepted, {} refused; waiting for deliveries",
        sent.refused
    );
    let drain_started = Instant::now();
    receiver
        .wait_for(Duration::from_secs(300), |r| {
            let got: std::collections::HashSet<&str> =
                r.iter().filter_map(|x| x.header("webhook-id")).collect();
            sent.accepted.iter().all(|id| got.contains(id.as_str()))
        })
        .await;
    let drain = drain_started.elapsed();
    // Let stragglers (duplicates) arrive before counting.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for r in receiver.received() {
        *counts
            .entry(r.header("webhook-id").unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    let lost = sent
        .accepted
        .iter()
        .filter(|id| !counts.contains_key(*id))
        .count();
    let duplicates: usize = counts.values().map(|c| c - 1).sum();
    Ok(json!({
        "scenario": "chaos",
        "rate_per_s": RATE_PER_SEC,
        "load_s": LOAD_SECS,
        "accepted": accepted,
        "refused_during_outages": sent.refused,
        "delivered_unique": counts.len(),
        "lost": lost,
        "duplicates": duplicates,
        "duplicate_ratio": if accepted > 0 { duplicates as f64 / accepted as f64 } else { 0.0 },
        "drain_after_load_s": drain.as_secs_f64(),
        "events": events,
    }))
}
