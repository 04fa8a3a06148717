//! The scenarios of issue 6, each turned into one JSON object: its figures, each figure's ratio
//! to L (rates to L's requests/s, latencies to L's latency of the same kind), and its targets.

use crate::generator::Load;
use crate::plan::Plan;
use crate::receiver::{Behavior, EndpointReport, EndpointSpec};
use crate::run::{self, Measured};
use crate::stack::StackConfig;
use crate::stats::{per_second, ratio, round3, Summary};
use anyhow::Result;
use serde_json::{json, Value};
use std::time::Duration;

/// The target on every service's peak RSS in every scenario, MiB.
const RSS_TARGET_MIB: f64 = 64.0;
/// The target on S1's CPU per accepted message, all services, PostgreSQL and RabbitMQ, ms.
pub(crate) const CPU_MS_TARGET: f64 = 0.25;

/// "peak RSS <= 64 MiB" of every service in `services` (a scenario's JSON `services`): one
/// target, the largest service's figure.
fn rss_targets(scenario: &str, services: &Value) -> Vec<Value> {
    let largest = services.as_object().and_then(|all| {
        all.iter()
            .filter_map(|(name, u)| Some((name, u["peak_rss_mib"].as_f64()?)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    });
    match largest {
        Some((name, rss)) => vec![target(
            &format!("{scenario} peak RSS of every service <= 64 MiB (largest: {name})"),
            rss,
            RSS_TARGET_MIB,
            rss <= RSS_TARGET_MIB,
        )],
        None => Vec::new(),
    }
}

/// L's figures, that every other figure is compared with.
#[derive(Debug, Clone, Copy, Default)]
pub struct Baseline {
    pub requests_per_s: f64,
    pub request: Summary,
    pub e2e: Summary,
}

/// Runs the scenarios in order; remembers L and S2 for the ratios and S4's target.
pub struct Suite {
    pub cfg: StackConfig,
    pub plan: Plan,
    pub baseline: Option<Baseline>,
    pub(crate) s2_p99_ms: Option<f64>,
    /// S4B's healthy e2e p99, S4's yardstick.
    pub(crate) s4b_p99_ms: Option<f64>,
    /// S1's accepted/s, G1's target.
    pub(crate) s1_accepted_per_s: Option<f64>,
    /// S3's CPU ms per delivery (all, router), S3F's yardstick.
    pub(crate) s3_cpu_ms_per_delivery: Option<(f64, f64)>,
}

pub(crate) fn target(name: &str, value: f64, limit: f64, met: bool) -> Value {
    json!({ "target": name, "value": value, "limit": limit, "met": met })
}

fn path(i: usize) -> String {
    format!("/e/{i}")
}

pub(crate) fn specs(
    n: usize,
    capacity: u64,
    behavior: impl Fn(usize) -> Behavior,
) -> Vec<EndpointSpec> {
    (0..n)
        .map(|i| EndpointSpec {
            path: path(i),
            behavior: behavior(i),
            capacity: capacity as usize,
        })
        .collect()
}

/// Deliveries, duplicates, missing and latencies of several endpoints together.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    pub(crate) delivered: u64,
    pub(crate) duplicates: u64,
    pub(crate) missing: u64,
    pub(crate) unexpected: u64,
    pub(crate) e2e: Summary,
    pub(crate) last_arrival_us: Option<u64>,
}

impl Totals {
    /// The delivery figures every hookd scenario reports; `e2e` is the latency that scenario
    /// reports (all endpoints', or the healthy ones').
    pub(crate) fn insert_into(&self, out: &mut serde_json::Map<String, Value>, e2e: &Summary) {
        out.insert("deliveries".into(), json!(self.delivered));
        out.insert("e2e_ms".into(), json!(e2e));
        out.insert("missing".into(), json!(self.missing));
        out.insert("duplicates".into(), json!(self.duplicates));
        out.insert("unexpected_arrivals".into(), json!(self.unexpected));
    }
}

pub(crate) fn totals(reports: &[&EndpointReport]) -> Totals {
    let mut lat: Vec<u64> = Vec::new();
    let mut t = Totals::default();
    for r in reports {
        t.delivered += r.delivered;
        t.duplicates += r.duplicates;
        t.missing += r.missing;
        t.unexpected += r.unexpected;
        lat.extend_from_slice(&r.latencies_us);
        t.last_arrival_us = t.last_arrival_us.max(r.last_arrival_us);
    }
    t.e2e = Summary::of_micros(&mut lat);
    t
}

pub(crate) fn seconds_between(from_us: u64, to_us: Option<u64>) -> f64 {
    to_us.map_or(0.0, |t| t.saturating_sub(from_us) as f64 / 1e6)
}

impl Suite {
    pub fn new(cfg: StackConfig, plan: Plan) -> Self {
        Self {
            cfg,
            plan,
            baseline: None,
            s2_p99_ms: None,
            s4b_p99_ms: None,
            s1_accepted_per_s: None,
            s3_cpu_ms_per_delivery: None,
        }
    }

    /// Runs scenario `name`; every scenario that ran the services gets their RSS targets.
    pub async fn run(&mut self, name: &str) -> Result<Value> {
        let mut v = self.run_one(name).await?;
        let rss = rss_targets(name, &v["services"]);
        if let Some(targets) = v["targets"].as_array_mut() {
            targets.extend(rss);
        } else if !rss.is_empty() {
            v["targets"] = json!(rss);
        }
        Ok(v)
    }

    async fn run_one(&mut self, name: &str) -> Result<Value> {
        match name {
            "L" => self.limit().await,
            "S1" => self.s1().await,
            "S2" => self.s2("S2", self.plan.s2_rate).await,
            "S2H" => self.s2("S2H", self.plan.s2h_rate).await,
            "S3" => self.s3().await,
            "S3F" => crate::fanout_filters::s3f(self).await,
            "S2O" => crate::ordered::s2o(self).await,
            "S2OK" => crate::ordered::s2ok(self).await,
            "S2R" => crate::retention_bench::s2r(self).await,
            "S4B" => crate::isolation::s4b(self).await,
            "S4" => crate::isolation::s4(self).await,
            "S4C" => crate::isolation::s4c(self).await,
            "S5" => self.s5().await,
            "G1" => crate::gateway::g1(self).await,
            "G2" => crate::gateway::g2(self).await,
            "C" => crate::console_log::run(&self.cfg, &self.plan).await,
            other => anyhow::bail!("unknown scenario {other}"),
        }
    }

    /// Figures of `m` relative to L: rates to its requests/s, latencies to its latencies.
    pub(crate) fn vs_l(&self, rates: &[(&str, f64)], latencies: &[(&str, f64, f64)]) -> Value {
        let Some(b) = self.baseline else {
            return Value::Null;
        };
        let mut out = serde_json::Map::new();
        for (k, v) in rates {
            out.insert((*k).into(), json!(ratio(*v, b.requests_per_s)));
        }
        for (k, v, l) in latencies {
            out.insert((*k).into(), json!(ratio(*v, *l)));
        }
        Value::Object(out)
    }

    pub(crate) fn e2e_vs_l(&self, e2e: &Summary) -> Vec<(&'static str, f64, f64)> {
        let b = self.baseline.unwrap_or_default();
        vec![
            ("e2e_p50", e2e.p50_ms, b.e2e.p50_ms),
            ("e2e_p99", e2e.p99_ms, b.e2e.p99_ms),
            ("e2e_max", e2e.max_ms, b.e2e.max_ms),
        ]
    }

    pub(crate) fn open(&self, rate: f64, duration: Duration) -> Load {
        Load::Open {
            rate,
            duration,
            max_in_flight: 1024,
        }
    }

    async fn limit(&mut self) -> Result<Value> {
        let (gen, endpoint, cpu) = run::loopback(&self.plan).await?;
        let rps = per_second(gen.accepted_count, gen.elapsed.as_secs_f64());
        let mut lat = gen.latencies_us.clone();
        let request = Summary::of_micros(&mut lat);
        let mut e2e_lat = endpoint.latencies_us.clone();
        let e2e = Summary::of_micros(&mut e2e_lat);
        self.baseline = Some(Baseline {
            requests_per_s: rps,
            request,
            e2e,
        });
        Ok(json!({
            "scenario": "L",
            "name": "loopback limit (generator straight to receiver, no hookd)",
            "load": format!("{} requests, {} in flight", gen.sent, self.plan.concurrency),
            "requests": gen.sent,
            "answered_2xx": gen.accepted_count,
            "errors": gen.errors,
            "requests_per_s": rps,
            "request_ms": request,
            "e2e_ms": e2e,
            "missing": endpoint.missing,
            "duplicates": endpoint.duplicates,
            "bench_cpu_s": cpu,
        }))
    }

    /// The parts every hookd scenario reports alike.
    pub(crate) fn common(
        &self,
        scenario: &str,
        load: String,
        m: &Measured,
    ) -> serde_json::Map<String, Value> {
        let ingest = Self::ingest_summary(m);
        let accepted_per_s = per_second(m.gen.accepted_count, m.gen.elapsed.as_secs_f64());
        let v = json!({
            "scenario": scenario,
            "load": load,
            "quick": self.plan.quick,
            "sent": m.gen.sent,
            "accepted": m.gen.accepted_count,
            "not_accepted": m.gen.statuses.iter().filter(|(s, _)| !(200..300).contains(*s)).map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "errors": m.gen.errors,
            "late_sends": m.gen.late,
            "send_s": round3(m.gen.elapsed.as_secs_f64()),
            "accepted_per_s": accepted_per_s,
            "ingest_ms": ingest,
            "drained": m.drained,
            "services": m.services,
            "postgres_cpu_s": m.postgres_cpu_s,
            "rabbitmq_cpu_s": m.rabbitmq_cpu_s,
            "bench_cpu_s": m.bench_cpu_s,
            "machine_busy": m.machine_busy,
            "hookd_counters": m.counters,
            "hops_ms": m.hops,
            "cpu_ms_per_request": crate::gateway::cpu_ms_per_request(m),
        });
        match v {
            Value::Object(map) => map,
            _ => unreachable!("json! of an object literal"),
        }
    }

    pub(crate) fn ingest_summary(m: &Measured) -> Summary {
        Summary::of_micros(&mut m.gen.latencies_us.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(delivered: u64, dups: u64, missing: u64, lat: Vec<u64>, last: u64) -> EndpointReport {
        EndpointReport {
            delivered,
            duplicates: dups,
            missing,
            latencies_us: lat,
            last_arrival_us: Some(last),
            ..Default::default()
        }
    }

    #[test]
    fn totals_add_endpoints_up_and_pool_latencies() {
        let a = report(2, 1, 0, vec![1_000, 3_000], 50);
        let b = report(1, 0, 1, vec![2_000], 70);
        let t = totals(&[&a, &b]);
        assert_eq!((t.delivered, t.duplicates, t.missing), (3, 1, 1));
        assert_eq!(t.e2e.count, 3);
        assert_eq!(t.e2e.p50_ms, 2.0);
        assert_eq!(t.e2e.max_ms, 3.0);
        assert_eq!(t.last_arrival_us, Some(70));
        assert_eq!(seconds_between(1_000_000, Some(3_500_000)), 2.5);
        assert_eq!(seconds_between(1, None), 0.0);
    }

    #[test]
    fn one_rss_target_per_scenario_the_largest_service() {
        let services = json!({"ingest": {"peak_rss_mib": 30.0}, "router": {"peak_rss_mib": 70.5},
            "delivery": {"peak_rss_mib": 20.0}});
        let t = rss_targets("S3", &services);
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0]["target"],
            "S3 peak RSS of every service <= 64 MiB (largest: router)"
        );
        assert_eq!(t[0]["value"], 70.5);
        assert_eq!(t[0]["met"], false);
        assert!(rss_targets("L", &Value::Null).is_empty());
    }
}
