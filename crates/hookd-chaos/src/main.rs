//! `hookd-chaos`: under steady load (the messages API and a gateway source URL, each at the
//! same rate), SIGKILLs each service in turn (and restarts it), restarts RabbitMQ and
//! PostgreSQL, then waits and counts, for each side apart: accepted against delivered,
//! duplicates, and how long each recovery took. Prints one JSON object. Traffic stays on
//! 127.0.0.1.
//!
//! Usage: `hookd-chaos [BIN_DIR]` (default `target/release`), run from the repository root.

mod load;
mod stack;
mod tally;

use serde_json::json;
use stack::{Service, Stack};
use std::time::{Duration, Instant};
use tally::{Arrival, Tally};

const RATE_PER_SEC: u64 = 100;
const LOAD_SECS: u64 = 75;
/// The receiver's paths: the messages API's endpoint and the gateway's destination.
const MESSAGES_PATH: &str = "/chaos";
const GATEWAY_PATH: &str = "/chaos-gw";

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
    Ok(())
}

async fn run(
    stack: &mut Stack,
    receiver: &hookd_testkit::Receiver,
) -> anyhow::Result<serde_json::Value> {
    let source_path = stack.setup_gateway(&receiver.url(GATEWAY_PATH)).await?;
    // After the gateway's set-up: this one waits for the router to see both.
    let app_id = stack.setup(&receiver.url(MESSAGES_PATH)).await?;
    let duration = Duration::from_secs(LOAD_SECS);
    let load = load::Load::start(
        stack.api(),
        load::Entry::Messages { app_id },
        RATE_PER_SEC,
        duration,
    );
    let inbound = load::Load::start(
        stack.api(),
        load::Entry::Source { path: source_path },
        RATE_PER_SEC,
        duration,
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
        let before = receiver.received_at(MESSAGES_PATH).len();
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
                r.iter().filter(|x| x.path == MESSAGES_PATH).count()
                    > before + RATE_PER_SEC as usize
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
    let gw_sent = inbound.finish().await;
    eprintln!(
        "chaos: load done, {} + {} (gateway) accepted, {} + {} refused; waiting for deliveries",
        sent.accepted.len(),
        gw_sent.accepted.len(),
        sent.refused,
        gw_sent.refused
    );
    let drain_started = Instant::now();
    receiver
        .wait_for(Duration::from_secs(300), |r| {
            let ids = |path: &str, header: &str| {
                r.iter()
                    .filter(|x| x.path == path)
                    .filter_map(|x| x.header(header).map(str::to_owned))
                    .collect::<Vec<_>>()
            };
            Tally::complete(&sent.accepted, ids(MESSAGES_PATH, "webhook-id"))
                && Tally::complete(&gw_sent.accepted, ids(GATEWAY_PATH, "x-hookdeck-requestid"))
        })
        .await;
    let drain = drain_started.elapsed();
    // Let stragglers (duplicates) arrive before counting.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let messages = receiver.received_at(MESSAGES_PATH);
    let m = Tally::count(
        &sent.accepted,
        messages.iter().map(|r| {
            let id = r.header("webhook-id").unwrap_or_default();
            Arrival { id, key: id }
        }),
    );
    // The gateway's side: lost by request id (what the 200 named), duplicates by event id.
    let inbound = receiver.received_at(GATEWAY_PATH);
    let g = Tally::count(
        &gw_sent.accepted,
        inbound.iter().map(|r| Arrival {
            id: r.header("x-hookdeck-requestid").unwrap_or_default(),
            key: r.header("x-hookdeck-eventid").unwrap_or_default(),
        }),
    );
    let gateway = g.json(gw_sent.refused);
    Ok(json!({
        "scenario": "chaos",
        "rate_per_s": RATE_PER_SEC,
        "load_s": LOAD_SECS,
        "accepted": m.accepted,
        "refused_during_outages": sent.refused,
        "delivered_unique": m.delivered_unique,
        "lost": m.lost,
        "duplicates": m.duplicates,
        "duplicate_ratio": m.json(sent.refused)["duplicate_ratio"],
        "gateway": gateway,
        "drain_after_load_s": drain.as_secs_f64(),
        "events": events,
    }))
}
