//! One chaos run: steady load on the messages API and a gateway source URL (each at the same
//! rate), events at planned times (each followed by a wait until deliveries flow again), then a
//! wait until everything accepted arrived, and the count of each side apart.

use crate::load::{Entry, Load};
use crate::rabbit_cluster::Cluster;
use crate::stack::{self, Service, Stack};
use crate::tally::{Arrival, Tally};
use hookd_testkit::Receiver;
use serde_json::json;
use std::time::{Duration, Instant};

pub const RATE_PER_SEC: u64 = 100;
/// The receiver's paths: the messages API's endpoint and the gateway's destination.
const MESSAGES_PATH: &str = "/chaos";
const GATEWAY_PATH: &str = "/chaos-gw";

/// What happens to the running system at a planned time.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    /// SIGKILL of a service (its first replica), a new process a second later.
    KillAndRestart(Service),
    /// SIGKILL of a service's first replica; the other replica carries on alone.
    Kill(Service),
    /// The killed first replica starts again.
    Restart(Service),
    /// The machine's RabbitMQ: stop_app and start_app.
    RestartRabbitmq,
    /// The machine's PostgreSQL: stopped in immediate mode, started.
    CrashPostgresql,
    /// SIGKILL of a node of the chaos cluster.
    KillNode(u16),
    /// The killed node starts again and rejoins.
    RestartNode(u16),
}

impl Event {
    pub fn describe(self) -> String {
        match self {
            Event::KillAndRestart(s) => format!("kill {}", s.name()),
            Event::Kill(s) => format!("kill {} replica 1 of 2", s.name()),
            Event::Restart(s) => format!("restart {} replica 1", s.name()),
            Event::RestartRabbitmq => "restart rabbitmq".into(),
            Event::CrashPostgresql => "crash postgresql".into(),
            Event::KillNode(n) => format!("kill rabbitmq node {n} of 3"),
            Event::RestartNode(n) => format!("restart rabbitmq node {n}"),
        }
    }

    async fn apply(self, stack: &mut Stack, cluster: Option<&mut Cluster>) -> anyhow::Result<()> {
        let cluster = || cluster.ok_or_else(|| anyhow::anyhow!("no chaos cluster runs"));
        match self {
            Event::KillAndRestart(s) => {
                stack.kill(s).await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
                stack.restart(s).await
            }
            Event::Kill(s) => stack.kill(s).await,
            Event::Restart(s) => stack.restart(s).await,
            Event::RestartRabbitmq => stack::restart_rabbitmq().await,
            Event::CrashPostgresql => stack::crash_postgresql().await,
            Event::KillNode(n) => cluster()?.kill(n).await,
            Event::RestartNode(n) => cluster()?.restart(n).await,
        }
    }
}

/// Runs `plan` (seconds after the load started, event) under `load_s` seconds of load;
/// returns the report.
pub async fn run(
    stack: &mut Stack,
    mut cluster: Option<&mut Cluster>,
    receiver: &Receiver,
    plan: &[(u64, Event)],
    load_s: u64,
) -> anyhow::Result<serde_json::Value> {
    let source_path = stack.setup_gateway(&receiver.url(GATEWAY_PATH)).await?;
    // After the gateway's set-up: this one waits for the router to see both.
    let app_id = stack.setup(&receiver.url(MESSAGES_PATH)).await?;
    let duration = Duration::from_secs(load_s);
    let load = Load::start(
        stack.apis(),
        Entry::Messages { app_id },
        RATE_PER_SEC,
        duration,
    );
    let inbound = Load::start(
        stack.apis(),
        Entry::Source { path: source_path },
        RATE_PER_SEC,
        duration,
    );
    let started = Instant::now();
    let mut events = Vec::new();
    for &(at, event) in plan {
        let wait = Duration::from_secs(at).saturating_sub(started.elapsed());
        tokio::time::sleep(wait).await;
        let what = event.describe();
        eprintln!("chaos: {what} at {:.1}s", started.elapsed().as_secs_f64());
        let before = receiver.received_at(MESSAGES_PATH).len();
        let event_at = Instant::now();
        event.apply(stack, cluster.as_deref_mut()).await?;
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
    let mut messages_json = m.json(sent.refused);
    messages_json["duplicates_at_s"] = json!(Tally::duplicate_times(
        started,
        messages
            .iter()
            .map(|r| (r.header("webhook-id").unwrap_or_default(), r.at)),
    ));
    let mut gateway = g.json(gw_sent.refused);
    gateway["duplicates_at_s"] = json!(Tally::duplicate_times(
        started,
        inbound
            .iter()
            .map(|r| (r.header("x-hookdeck-eventid").unwrap_or_default(), r.at)),
    ));
    Ok(json!({
        "rate_per_s": RATE_PER_SEC,
        "load_s": load_s,
        "accepted": m.accepted,
        "refused_during_outages": sent.refused,
        "delivered_unique": m.delivered_unique,
        "lost": m.lost,
        "duplicates": m.duplicates,
        "duplicate_ratio": messages_json["duplicate_ratio"],
        "duplicates_at_s": messages_json["duplicates_at_s"],
        "gateway": gateway,
        "drain_after_load_s": drain.as_secs_f64(),
        "events": events,
    }))
}
