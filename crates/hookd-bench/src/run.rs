//! One measured run against the stack: receiver up, stack started with the scenario's
//! settings, app and endpoints created, warm-up, load, bounded wait for the deliveries, then
//! what every endpoint got and what every process used.

use crate::generator::{GenReport, Generator, Load, Target, KEY_FIELD};
use crate::plan::Plan;
use crate::procstat::{self, ProcSample, Usage};
use crate::receiver::{EndpointReport, EndpointSpec, Receiver};
use crate::setup::{self, EVENT_TYPE};
use crate::stack::{Stack, StackConfig};
use anyhow::{bail, Result};
use hookd_testkit::ApiClient;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The key of a fresh local install (`config/local.toml`).
pub const BOOTSTRAP_KEY: &str = "hookd_dev_key";

/// What a run measured.
pub struct Measured {
    pub gen: GenReport,
    /// One per endpoint, in the order of the specs.
    pub endpoints: Vec<EndpointReport>,
    /// Per service: memory at the end, peak, CPU during warm-up-to-drained.
    pub services: BTreeMap<&'static str, Usage>,
    pub postgres_cpu_s: f64,
    pub rabbitmq_cpu_s: f64,
    /// The bench process itself (generator and receiver).
    pub bench_cpu_s: f64,
    /// Share of the machine's CPU time that was busy, 0..1.
    pub machine_busy: f64,
    /// Unix micros when the load started.
    pub clock_start_us: u64,
    /// Every awaited endpoint got every accepted message before the deadline.
    pub drained: bool,
    /// The services' [`crate::service_metrics::COUNTERS`] at the end of the run.
    pub counters: BTreeMap<&'static str, f64>,
    /// What the scenario's `probe_sql` read at the end of the run.
    pub probe: Option<serde_json::Value>,
    /// p50/p99 per hop of the message path, from the services' `hookd_hop_seconds`.
    pub hops: serde_json::Value,
}

impl Measured {
    /// Reports of the endpoints whose index satisfies `pick`.
    pub fn endpoints_where(&self, pick: impl Fn(usize) -> bool) -> Vec<&EndpointReport> {
        self.endpoints
            .iter()
            .enumerate()
            .filter(|(i, _)| pick(*i))
            .map(|(_, r)| r)
            .collect()
    }
}

/// Processes' state before the load, to take differences from.
struct Before {
    services: Vec<(&'static str, ProcSample)>,
    postgres: u64,
    rabbitmq: u64,
    bench: ProcSample,
    machine: (u64, u64),
}

impl Before {
    fn take(stack: &Stack) -> Self {
        Self {
            services: stack.samples(),
            postgres: procstat::cpu_ticks_of("postgres"),
            rabbitmq: procstat::cpu_ticks_of("beam.smp"),
            bench: procstat::sample_self().unwrap_or_default(),
            machine: procstat::machine_ticks().unwrap_or_default(),
        }
    }
}

/// Where a run's load goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// The messages API of one app (`/api/v1/apps/{id}/messages`), with the bootstrap key.
    Messages,
    /// The URL of one gateway source (`/e/{source_id}`), no key; one connection per endpoint.
    Source,
}

/// Runs one scenario against a fresh stack. `awaited` are the indexes of the endpoints that
/// must get every accepted message before the run ends.
pub async fn against_hookd(
    cfg: &StackConfig,
    plan: &Plan,
    scenario: &str,
    specs: &[EndpointSpec],
    env: &[(String, String)],
    load: Load,
    awaited: &[usize],
) -> Result<Measured> {
    let run = Scenario {
        name: scenario,
        entry: Entry::Messages,
        specs,
        env,
        awaited,
        endpoint_filter: None,
        fifo: &[],
        key_values: None,
        seed_sql: None,
        probe_sql: None,
    };
    against(cfg, plan, &run, load).await
}

/// What [`against`] runs: the scenario's name, entry, endpoints, environment and the
/// endpoints awaited.
pub struct Scenario<'a> {
    pub name: &'a str,
    pub entry: Entry,
    pub specs: &'a [EndpointSpec],
    pub env: &'a [(String, String)],
    pub awaited: &'a [usize],
    /// A payload filter given to every endpoint (messages entry only).
    pub endpoint_filter: Option<&'a serde_json::Value>,
    /// Indexes of the endpoints created with `"ordering": "fifo"` (messages entry only).
    pub fifo: &'a [usize],
    /// `Some(n)`: the fifo endpoints get `ordering_key` [`KEY_FIELD`] and the messages carry
    /// `n` values of it (`seq % n`): `n` lanes. `None`: one lane per fifo endpoint.
    pub key_values: Option<u64>,
    /// SQL run on the stack's database after the setup, before the warm-up (S2R's backlog).
    pub seed_sql: Option<&'a str>,
    /// SQL whose one row's first column (JSON text) is kept in `Measured::probe`.
    pub probe_sql: Option<&'a str>,
}

/// Runs one scenario against a fresh stack, its load sent to `run.entry`.
pub async fn against(
    cfg: &StackConfig,
    plan: &Plan,
    run: &Scenario<'_>,
    load: Load,
) -> Result<Measured> {
    let (scenario, specs, env, awaited) = (run.name, run.specs, run.env, run.awaited);
    let receiver = Receiver::start(specs).await?;
    let mut stack = Stack::start(cfg, scenario, env).await?;
    let api = ApiClient::new(cfg.api_base(), Some(BOOTSTRAP_KEY));
    let urls: Vec<String> = specs.iter().map(|s| receiver.url(&s.path)).collect();
    let target = match run.entry {
        Entry::Messages => {
            let fifo = setup::Fifo {
                endpoints: run.fifo,
                key: run.key_values.map(|_| KEY_FIELD),
            };
            let setup = setup::create(&api, scenario, &urls, run.endpoint_filter, fifo).await?;
            Target {
                url: format!("{}{}", cfg.api_base(), setup.messages_path()),
                api_key: Some(BOOTSTRAP_KEY.into()),
                event_type: EVENT_TYPE.into(),
                key_values: run.key_values,
            }
        }
        Entry::Source => Target {
            url: format!(
                "{}{}",
                cfg.api_base(),
                crate::gateway_setup::create(&api, scenario, &urls).await?
            ),
            // Inbound needs no key; none is sent, so none is forwarded to the destination.
            api_key: None,
            event_type: EVENT_TYPE.into(),
            key_values: None,
        },
    };
    if let Some(sql) = run.seed_sql {
        crate::retention_bench::execute(&cfg.database_url(), sql).await?;
    }
    let gen = Generator::new(plan.concurrency.max(256));
    warm_up(&gen, &target, &receiver, specs).await?;

    let before = Before::take(&stack);
    let clock_start_us = receiver.start_clock();
    let report = gen.run(&target, load).await;
    let paths: Vec<&str> = awaited.iter().map(|&i| specs[i].path.as_str()).collect();
    let drained =
        wait_for_deliveries(&receiver, &mut stack, &paths, report.accepted_count, plan).await?;
    if drained {
        // Room for late duplicates to show.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let measured = measure(
        &stack,
        before,
        report,
        &receiver,
        specs,
        clock_start_us,
        drained,
    );
    let mut measured = measured;
    (measured.counters, measured.hops) = crate::service_metrics::save(&gen, cfg, scenario).await;
    if let Some(sql) = run.probe_sql {
        measured.probe = Some(crate::retention_bench::probe(&cfg.database_url(), sql).await?);
    }
    stack.stop().await;
    receiver.stop().await;
    Ok(measured)
}

fn measure(
    stack: &Stack,
    before: Before,
    gen: GenReport,
    receiver: &Receiver,
    specs: &[EndpointSpec],
    clock_start_us: u64,
    drained: bool,
) -> Measured {
    let services = stack
        .samples()
        .into_iter()
        .map(|(name, after)| {
            let start = before
                .services
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| *s)
                .unwrap_or_default();
            (name, Usage::between(start, after))
        })
        .collect();
    let bench = procstat::sample_self().unwrap_or_default();
    let machine = procstat::machine_ticks().unwrap_or_default();
    let busy = machine.0.saturating_sub(before.machine.0) as f64;
    let total = machine.1.saturating_sub(before.machine.1) as f64;
    Measured {
        endpoints: specs
            .iter()
            .map(|s| receiver.report(&s.path, &gen.accepted))
            .collect(),
        gen,
        services,
        postgres_cpu_s: procstat::ticks_to_seconds(
            procstat::cpu_ticks_of("postgres").saturating_sub(before.postgres),
        ),
        rabbitmq_cpu_s: procstat::ticks_to_seconds(
            procstat::cpu_ticks_of("beam.smp").saturating_sub(before.rabbitmq),
        ),
        bench_cpu_s: procstat::ticks_to_seconds(bench.cpu_ticks - before.bench.cpu_ticks),
        machine_busy: if total > 0.0 {
            crate::stats::round3(busy / total)
        } else {
            0.0
        },
        clock_start_us,
        drained,
        counters: BTreeMap::new(),
        probe: None,
        hops: serde_json::Value::Null,
    }
}

/// Sends warm-up messages until every endpoint has seen one (30 s at most): the router's view
/// of the new endpoints is fresh and the connections are open before anything is measured.
async fn warm_up(
    gen: &Generator,
    target: &Target,
    receiver: &Receiver,
    specs: &[EndpointSpec],
) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match gen.warmup(target).await {
            Some(s) if (200..300).contains(&s) => {}
            other => bail!("warm-up message not accepted: {other:?}"),
        }
        let wait_until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < wait_until {
            if specs.iter().all(|s| receiver.warmups(&s.path) > 0) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    bail!("warm-up messages did not reach every endpoint within 30 s")
}

/// Waits until each awaited path has `accepted` distinct messages, the drain timeout passes, or
/// nothing new arrives for the stall timeout. Fails if a service exits meanwhile.
async fn wait_for_deliveries(
    receiver: &Receiver,
    stack: &mut Stack,
    paths: &[&str],
    accepted: u64,
    plan: &Plan,
) -> Result<bool> {
    let target = accepted * paths.len() as u64;
    let start = Instant::now();
    let deadline = start + plan.drain_timeout;
    let (mut last, mut last_change) = (u64::MAX, start);
    loop {
        let got: u64 = paths.iter().map(|p| receiver.unique(p)).sum();
        if got >= target {
            return Ok(true);
        }
        if let Some(name) = stack.exited() {
            bail!("hookd-{name} exited during the run");
        }
        if got != last {
            (last, last_change) = (got, Instant::now());
        }
        if Instant::now() > deadline || last_change.elapsed() > plan.stall_timeout {
            eprintln!(
                "  gave up waiting: {got} of {target} deliveries, {:.0} s after the last send",
                start.elapsed().as_secs_f64()
            );
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// L: the generator straight to the receiver, no hookd.
pub async fn loopback(plan: &Plan) -> Result<(GenReport, EndpointReport, f64)> {
    let spec = EndpointSpec {
        path: "/l".into(),
        behavior: crate::receiver::Behavior::Ok,
        capacity: plan.l_count as usize,
    };
    let receiver = Receiver::start(std::slice::from_ref(&spec)).await?;
    let target = Target {
        url: receiver.url("/l"),
        api_key: Some(BOOTSTRAP_KEY.into()),
        event_type: EVENT_TYPE.into(),
        key_values: None,
    };
    let gen = Generator::new(plan.concurrency);
    let _ = gen.warmup(&target).await;
    let before = procstat::sample_self().unwrap_or_default();
    let report = gen
        .run(
            &target,
            Load::Closed {
                count: plan.l_count,
                concurrency: plan.concurrency,
            },
        )
        .await;
    let after = procstat::sample_self().unwrap_or_default();
    let endpoint = receiver.report("/l", &report.accepted);
    receiver.stop().await;
    let cpu = procstat::ticks_to_seconds(after.cpu_ticks - before.cpu_ticks);
    Ok((report, endpoint, cpu))
}
