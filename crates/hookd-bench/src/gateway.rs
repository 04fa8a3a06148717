//! G1 and G2: S1's and S2's loads sent to a gateway source URL (`/e/{source_id}`, no API key)
//! with one connection to one destination (the bench receiver), instead of the messages API.
//! The inbound body reaches the destination byte-identical, so the receiver reads the
//! generator's `seq` from it: each sequence number is one inbound request and its one event,
//! and a second arrival of it is a redelivery of that event (same `x-hookdeck-eventid`).

use crate::generator::Load;
use crate::receiver::Behavior;
use crate::run::{self, Entry, Measured, Scenario};
use crate::scenarios::{seconds_between, specs, target, totals, Suite};
use crate::stats::{per_second, round3};
use anyhow::Result;
use serde_json::{json, Value};

/// CPU milliseconds per accepted request of the services, PostgreSQL and RabbitMQ together
/// (procstat, from warm-up's end to the last delivery); `None` when nothing was accepted.
pub fn cpu_ms_per(accepted: u64, cpu_s: impl IntoIterator<Item = f64>) -> Option<f64> {
    let total: f64 = cpu_s.into_iter().sum();
    (accepted > 0).then(|| round3(1000.0 * total / accepted as f64))
}

/// [`cpu_ms_per`] of a run, as JSON (`null` when nothing was accepted).
pub fn cpu_ms_per_request(m: &Measured) -> Value {
    let cpu = m
        .services
        .values()
        .map(|u| u.cpu_s)
        .chain([m.postgres_cpu_s, m.rabbitmq_cpu_s]);
    json!(cpu_ms_per(m.gen.accepted_count, cpu))
}

fn source_run<'a>(name: &'a str, specs: &'a [crate::receiver::EndpointSpec]) -> Scenario<'a> {
    Scenario {
        name,
        entry: Entry::Source,
        specs,
        env: &[],
        awaited: &[0],
        endpoint_filter: None,
        fifo: &[],
        key_values: None,
        seed_sql: None,
        probe_sql: None,
    }
}

/// G1: S1's closed loop (same count, same requests in flight) into one source.
pub async fn g1(suite: &mut Suite) -> Result<Value> {
    let p = &suite.plan;
    let load = Load::Closed {
        count: p.s1_count,
        concurrency: p.concurrency,
    };
    let specs = specs(1, p.s1_count, |_| Behavior::Ok);
    let m = run::against(&suite.cfg, p, &source_run("G1", &specs), load).await?;
    let t = totals(&m.endpoints_where(|_| true));
    let deliveries_per_s = per_second(
        t.delivered,
        seconds_between(m.gen.started_at_us, t.last_arrival_us),
    );
    let mut out = suite.common(
        "G1",
        format!(
            "{} inbound requests, {} in flight, 1 source → 1 connection → 1 destination",
            p.s1_count, p.concurrency
        ),
        &m,
    );
    let accepted_per_s = out["accepted_per_s"].as_f64().unwrap_or(0.0);
    let dup_pct = if t.delivered > 0 {
        round3(100.0 * t.duplicates as f64 / t.delivered as f64)
    } else {
        0.0
    };
    let mut targets = Vec::new();
    if let Some(s1) = suite.s1_accepted_per_s {
        targets.push(target(
            "G1 accepted/s >= S1 accepted/s",
            accepted_per_s,
            round3(s1),
            accepted_per_s >= s1 && s1 > 0.0,
        ));
    }
    targets.extend([
        target(
            "G1 deliveries/s >= 0.9 x accepted/s (deliveries keep pace)",
            deliveries_per_s,
            round3(0.9 * accepted_per_s),
            deliveries_per_s >= 0.9 * accepted_per_s && accepted_per_s > 0.0,
        ),
        target("G1 missing = 0", t.missing as f64, 0.0, t.missing == 0),
        target("G1 duplicates <= 0.1%", dup_pct, 0.1, dup_pct <= 0.1),
    ]);
    let ingest = Suite::ingest_summary(&m);
    let l = suite.baseline.unwrap_or_default();
    let mut latencies = vec![
        ("ingest_p50", ingest.p50_ms, l.request.p50_ms),
        ("ingest_p99", ingest.p99_ms, l.request.p99_ms),
    ];
    latencies.extend(suite.e2e_vs_l(&t.e2e));
    t.insert_into(&mut out, &t.e2e);
    out.insert("deliveries_per_s".into(), json!(deliveries_per_s));
    out.insert("duplicates_pct".into(), json!(dup_pct));
    out.insert("s1_accepted_per_s".into(), json!(suite.s1_accepted_per_s));
    out.insert(
        "vs_L".into(),
        suite.vs_l(
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

/// G2: S2's open loop (same rate, same duration) into one source; e2e runs from the send of
/// the inbound request (stamped in its body) to the destination's receipt.
pub async fn g2(suite: &mut Suite) -> Result<Value> {
    let p = &suite.plan;
    let load = suite.open(p.s2_rate, p.s2_duration);
    let specs = specs(1, load.count(), |_| Behavior::Ok);
    let m = run::against(&suite.cfg, p, &source_run("G2", &specs), load).await?;
    let t = totals(&m.endpoints_where(|_| true));
    let mut out = suite.common(
        "G2",
        format!(
            "{} inbound req/s for {} s, 1 source → 1 connection → 1 destination",
            p.s2_rate,
            p.s2_duration.as_secs()
        ),
        &m,
    );
    let accepted_per_s = out["accepted_per_s"].as_f64().unwrap_or(0.0);
    let ingest = Suite::ingest_summary(&m);
    let l = suite.baseline.unwrap_or_default();
    let mut latencies = suite.e2e_vs_l(&t.e2e);
    latencies.push(("ingest_p99", ingest.p99_ms, l.request.p99_ms));
    t.insert_into(&mut out, &t.e2e);
    out.insert("s2_e2e_p99_ms".into(), json!(suite.s2_p99_ms));
    out.insert(
        "vs_L".into(),
        suite.vs_l(&[("accepted_per_s", accepted_per_s)], &latencies),
    );
    out.insert(
        "targets".into(),
        json!([
            target(
                &format!(
                    "G2 e2e p99 <= 10 ms at {} req/s (every request accepted at that rate and delivered)",
                    p.s2_rate
                ),
                t.e2e.p99_ms,
                10.0,
                t.e2e.p99_ms <= 10.0
                    && t.missing == 0
                    && m.gen.accepted_count == m.gen.sent
                    && accepted_per_s >= 0.95 * p.s2_rate,
            ),
            target("G2 missing = 0", t.missing as f64, 0.0, t.missing == 0),
        ]),
    );
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_per_request_sums_every_process() {
        assert_eq!(cpu_ms_per(1000, [1.0, 0.5, 0.25, 0.25]), Some(2.0));
        assert_eq!(cpu_ms_per(3, [0.001]), Some(0.333));
        assert_eq!(cpu_ms_per(0, [1.0]), None);
    }
}
