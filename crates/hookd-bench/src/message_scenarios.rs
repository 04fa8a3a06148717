//! The message-path scenarios: S1 (closed loop, one endpoint), S2 and S2H (open loop, one
//! endpoint), S3 (1 -> 100 fan-out) and S5 (failing endpoints and retries).

use crate::generator::Load;
use crate::receiver::Behavior;
use crate::run;
use crate::scenarios::{seconds_between, specs, target, totals, Suite, CPU_MS_TARGET};
use crate::stats::{per_second, round3};
use anyhow::Result;
use serde_json::{json, Value};

impl Suite {
    pub(crate) async fn s1(&mut self) -> Result<Value> {
        let p = &self.plan;
        let load = Load::Closed {
            count: p.s1_count,
            concurrency: p.concurrency,
        };
        let specs = specs(1, p.s1_count, |_| Behavior::Ok);
        let m = run::against_hookd(&self.cfg, p, "S1", &specs, &[], load, &[0]).await?;
        let t = totals(&m.endpoints_where(|_| true));
        let deliveries_per_s = per_second(
            t.delivered,
            seconds_between(m.gen.started_at_us, t.last_arrival_us),
        );
        let mut out = self.common(
            "S1",
            format!(
                "{} messages, {} in flight, 1 endpoint",
                p.s1_count, p.concurrency
            ),
            &m,
        );
        let accepted_per_s = out["accepted_per_s"].as_f64().unwrap_or(0.0);
        self.s1_accepted_per_s = Some(accepted_per_s);
        let ingest = Self::ingest_summary(&m);
        let dup_pct = if t.delivered > 0 {
            round3(100.0 * t.duplicates as f64 / t.delivered as f64)
        } else {
            0.0
        };
        let l = self.baseline.unwrap_or_default();
        let mut targets = vec![
            target(
                "S1 accepted/s >= 0.2 x L requests/s",
                accepted_per_s,
                round3(0.2 * l.requests_per_s),
                accepted_per_s >= 0.2 * l.requests_per_s && l.requests_per_s > 0.0,
            ),
            target(
                "S1 deliveries/s >= 0.9 x accepted/s",
                deliveries_per_s,
                round3(0.9 * accepted_per_s),
                deliveries_per_s >= 0.9 * accepted_per_s,
            ),
            target("S1 missing = 0", t.missing as f64, 0.0, t.missing == 0),
            target("S1 duplicates <= 0.1%", dup_pct, 0.1, dup_pct <= 0.1),
        ];
        let cpu = out["cpu_ms_per_request"].as_f64().unwrap_or(f64::INFINITY);
        targets.push(target(
            "S1 CPU ms per message (services, PostgreSQL, RabbitMQ) <= 0.25",
            cpu,
            CPU_MS_TARGET,
            cpu <= CPU_MS_TARGET,
        ));
        let mut latencies = vec![
            ("ingest_p50", ingest.p50_ms, l.request.p50_ms),
            ("ingest_p99", ingest.p99_ms, l.request.p99_ms),
        ];
        latencies.extend(self.e2e_vs_l(&t.e2e));
        t.insert_into(&mut out, &t.e2e);
        out.insert("deliveries_per_s".into(), json!(deliveries_per_s));
        out.insert("duplicates_pct".into(), json!(dup_pct));
        out.insert(
            "vs_L".into(),
            self.vs_l(
                &[
                    ("accepted_per_s", accepted_per_s),
                    ("deliveries_per_s", deliveries_per_s),
                ],
                &latencies,
            ),
        );
        out.insert("targets".into(), json!(targets));
        Ok(Value::Object(out))
    }

    /// S2 (and S2H at its own rate): an open loop to one endpoint.
    pub(crate) async fn s2(&mut self, name: &str, rate: f64) -> Result<Value> {
        let p = &self.plan;
        let load = self.open(rate, p.s2_duration);
        let specs = specs(1, load.count(), |_| Behavior::Ok);
        let m = run::against_hookd(&self.cfg, p, name, &specs, &[], load, &[0]).await?;
        let t = totals(&m.endpoints_where(|_| true));
        let mut out = self.common(
            name,
            format!(
                "{} msg/s for {} s, 1 endpoint",
                rate,
                p.s2_duration.as_secs()
            ),
            &m,
        );
        let accepted_per_s = out["accepted_per_s"].as_f64().unwrap_or(0.0);
        let mut latencies = self.e2e_vs_l(&t.e2e);
        let ingest = Self::ingest_summary(&m);
        let l = self.baseline.unwrap_or_default();
        latencies.push(("ingest_p99", ingest.p99_ms, l.request.p99_ms));
        t.insert_into(&mut out, &t.e2e);
        out.insert(
            "vs_L".into(),
            self.vs_l(&[("accepted_per_s", accepted_per_s)], &latencies),
        );
        // A latency counts only when every message was accepted at the rate and delivered.
        let held =
            t.missing == 0 && m.gen.accepted_count == m.gen.sent && accepted_per_s >= 0.95 * rate;
        let at = format!("at {rate} msg/s (every message accepted at that rate and delivered)");
        let targets = if name == "S2" {
            self.s2_p99_ms = Some(t.e2e.p99_ms);
            vec![
                target(
                    &format!("S2 e2e p50 <= 3 ms {at}"),
                    t.e2e.p50_ms,
                    3.0,
                    t.e2e.p50_ms <= 3.0 && held,
                ),
                target(
                    &format!("S2 e2e p99 <= 10 ms {at}"),
                    t.e2e.p99_ms,
                    10.0,
                    t.e2e.p99_ms <= 10.0 && held,
                ),
                target(
                    "S2 ingest p99 <= 5 ms",
                    ingest.p99_ms,
                    5.0,
                    ingest.p99_ms <= 5.0 && held,
                ),
            ]
        } else {
            vec![target(
                &format!("{name} e2e p99 <= 5 ms {at}"),
                t.e2e.p99_ms,
                5.0,
                t.e2e.p99_ms <= 5.0 && held,
            )]
        };
        out.insert("targets".into(), json!(targets));
        Ok(Value::Object(out))
    }

    pub(crate) async fn s3(&mut self) -> Result<Value> {
        let p = &self.plan;
        let load = Load::Closed {
            count: p.s3_messages,
            concurrency: p.concurrency,
        };
        let specs = specs(p.s3_endpoints, p.s3_messages, |_| Behavior::Ok);
        let all: Vec<usize> = (0..p.s3_endpoints).collect();
        let m = run::against_hookd(&self.cfg, p, "S3", &specs, &[], load, &all).await?;
        let t = totals(&m.endpoints_where(|_| true));
        let deliveries_per_s = per_second(
            t.delivered,
            seconds_between(m.gen.started_at_us, t.last_arrival_us),
        );
        let mut out = self.common(
            "S3",
            format!(
                "{} messages to {} endpoints, {} in flight",
                p.s3_messages, p.s3_endpoints, p.concurrency
            ),
            &m,
        );
        let l = self.baseline.unwrap_or_default();
        t.insert_into(&mut out, &t.e2e);
        out.insert("deliveries_per_s".into(), json!(deliveries_per_s));
        let (cpu, router) = crate::fanout_filters::cpu_ms_per_delivery(&m, t.delivered);
        out.insert("cpu_ms_per_delivery".into(), json!(cpu));
        out.insert("router_cpu_ms_per_delivery".into(), json!(router));
        self.s3_cpu_ms_per_delivery = cpu.zip(router);
        out.insert(
            "vs_L".into(),
            self.vs_l(
                &[
                    (
                        "accepted_per_s",
                        out["accepted_per_s"].as_f64().unwrap_or(0.0),
                    ),
                    ("deliveries_per_s", deliveries_per_s),
                ],
                &self.e2e_vs_l(&t.e2e),
            ),
        );
        out.insert(
            "targets".into(),
            json!([target(
                "S3 deliveries/s >= 0.4 x L requests/s",
                deliveries_per_s,
                round3(0.4 * l.requests_per_s),
                deliveries_per_s >= 0.4 * l.requests_per_s && l.requests_per_s > 0.0,
            )]),
        );
        Ok(Value::Object(out))
    }

    pub(crate) async fn s5(&mut self) -> Result<Value> {
        let p = &self.plan;
        let load = self.open(p.s5_rate, p.s5_duration);
        let failing = p.s5_endpoints / 2;
        let fail = p.s5_fail;
        let specs = specs(p.s5_endpoints, load.count(), |i| {
            if i < failing {
                Behavior::FailFor(fail)
            } else {
                Behavior::Ok
            }
        });
        let all: Vec<usize> = (0..p.s5_endpoints).collect();
        let env = [(
            "HOOKD__DELIVERY__RETRY_SCHEDULE".to_string(),
            p.s5_schedule.to_string(),
        )];
        let m = run::against_hookd(&self.cfg, p, "S5", &specs, &env, load, &all).await?;
        let healthy = totals(&m.endpoints_where(|i| i >= failing));
        let sick = totals(&m.endpoints_where(|i| i < failing));
        let recovered_us = m.clock_start_us + fail.as_micros() as u64;
        let failed_requests: u64 = m.endpoints[..failing]
            .iter()
            .map(|r| {
                r.requests
                    .saturating_sub(r.warmups + r.delivered + r.duplicates + r.unexpected)
            })
            .sum();
        let mut out = self.common(
            "S5",
            format!(
                "{} msg/s for {} s, {} endpoints, {} fail (500) for {} s; retries {}",
                p.s5_rate,
                p.s5_duration.as_secs(),
                p.s5_endpoints,
                failing,
                fail.as_secs(),
                p.s5_schedule
            ),
            &m,
        );
        let all_t = totals(&m.endpoints_where(|_| true));
        all_t.insert_into(&mut out, &healthy.e2e);
        out.insert("failing_e2e_ms".into(), json!(sick.e2e));
        out.insert("failing_missing".into(), json!(sick.missing));
        out.insert("failed_attempts".into(), json!(failed_requests));
        out.insert(
            "drain_after_recovery_s".into(),
            json!(round3(seconds_between(recovered_us, sick.last_arrival_us))),
        );
        out.insert(
            "backlog_drained_after_s".into(),
            json!(round3(seconds_between(
                m.clock_start_us,
                all_t.last_arrival_us
            ))),
        );
        out.insert("vs_L".into(), self.vs_l(&[], &self.e2e_vs_l(&healthy.e2e)));
        out.insert("targets".into(), json!([]));
        Ok(Value::Object(out))
    }
}
