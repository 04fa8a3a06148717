//! S4 as an isolation test (issue 13): ten endpoints at a rate the machine can deliver, one of
//! them hanging past the timeout; the healthy endpoints' p99 is held against S4B, the same
//! load with no endpoint hanging. S4C is S4 at S2's rate, a capacity scenario.

use crate::receiver::Behavior;
use crate::run;
use crate::scenarios::{specs, target, totals, Suite};
use crate::stats::{ratio, round3};
use anyhow::Result;
use serde_json::{json, Value};

/// S4B: S4's load with every endpoint healthy.
pub async fn s4b(suite: &mut Suite) -> Result<Value> {
    let v = run_s4(suite, "S4B", suite.plan.s4_rate, false).await?;
    suite.s4b_p99_ms = v["e2e_ms"]["p99_ms"].as_f64();
    Ok(v)
}

/// S4: one endpoint of ten hangs; the others' p99 within 1.5 × S4B's.
pub async fn s4(suite: &mut Suite) -> Result<Value> {
    run_s4(suite, "S4", suite.plan.s4_rate, true).await
}

/// S4C: S4 at 1,000 msg/s, more deliveries than two cores make: capacity, no latency target.
pub async fn s4c(suite: &mut Suite) -> Result<Value> {
    run_s4(suite, "S4C", suite.plan.s4c_rate, true).await
}

async fn run_s4(suite: &Suite, name: &str, rate: f64, hang: bool) -> Result<Value> {
    let p = &suite.plan;
    let load = suite.open(rate, p.s4_duration);
    let specs = specs(p.s4_endpoints, load.count(), |i| {
        if hang && i == 0 {
            Behavior::Hang
        } else {
            Behavior::Ok
        }
    });
    let first_healthy = usize::from(hang);
    let healthy: Vec<usize> = (first_healthy..p.s4_endpoints).collect();
    let env = [(
        "HOOKD__DELIVERY__TIMEOUT".to_string(),
        p.s4_timeout.to_string(),
    )];
    let m = run::against_hookd(&suite.cfg, p, name, &specs, &env, load, &healthy).await?;
    let healthy_reports = m.endpoints_where(|i| i >= first_healthy);
    let t = totals(&healthy_reports);
    let what = if hang {
        format!("1 hangs (timeout {})", p.s4_timeout)
    } else {
        "none hangs".to_owned()
    };
    let mut out = suite.common(
        name,
        format!(
            "{rate} msg/s for {} s, {} endpoints, {what}",
            p.s4_duration.as_secs(),
            p.s4_endpoints,
        ),
        &m,
    );
    let accepted_per_s = out["accepted_per_s"].as_f64().unwrap_or(0.0);
    out.insert("healthy_endpoints".into(), json!(healthy.len()));
    t.insert_into(&mut out, &t.e2e);
    out.insert(
        "e2e_p99_ms_by_second".into(),
        json!(p99_by_second(&healthy_reports, rate)),
    );
    if hang {
        out.insert("hanging_requests".into(), json!(m.endpoints[0].requests));
    }
    out.insert(
        "vs_L".into(),
        suite.vs_l(
            &[("accepted_per_s", accepted_per_s)],
            &suite.e2e_vs_l(&t.e2e),
        ),
    );
    let mut targets = vec![target(
        &format!("{name} healthy endpoints missing = 0"),
        t.missing as f64,
        0.0,
        t.missing == 0,
    )];
    if name == "S4" {
        out.insert("s4b_e2e_p99_ms".into(), json!(suite.s4b_p99_ms));
        out.insert(
            "e2e_p99_vs_s4b".into(),
            json!(suite.s4b_p99_ms.and_then(|b| ratio(t.e2e.p99_ms, b))),
        );
        if let Some(b) = suite.s4b_p99_ms {
            targets.push(target(
                "S4 healthy e2e p99 <= 1.5 x S4B p99",
                t.e2e.p99_ms,
                round3(1.5 * b),
                t.e2e.p99_ms <= 1.5 * b && t.delivered > 0,
            ));
        }
    }
    out.insert("targets".into(), json!(targets));
    Ok(Value::Object(out))
}

/// The healthy endpoints' e2e p99 (ms) of the messages sent in each second of the load: tells a
/// tail spread over the run from one made in a few seconds (a transient).
fn p99_by_second(reports: &[&crate::receiver::EndpointReport], rate: f64) -> Vec<f64> {
    let mut seconds: Vec<Vec<u64>> = Vec::new();
    for r in reports {
        for (seq, lat) in r.latency_seqs.iter().zip(&r.latencies_us) {
            let s = (*seq as f64 / rate.max(1.0)) as usize;
            if seconds.len() <= s {
                seconds.resize_with(s + 1, Vec::new);
            }
            seconds[s].push(*lat);
        }
    }
    seconds
        .into_iter()
        .map(|mut l| {
            l.sort_unstable();
            let p99 = crate::stats::percentile(&l, 99.0).unwrap_or(0);
            round3(p99 as f64 / 1000.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receiver::EndpointReport;

    #[test]
    fn p99_is_taken_per_second_of_sending() {
        let r = EndpointReport {
            latencies_us: vec![1_000, 2_000, 50_000, 3_000],
            latency_seqs: vec![0, 1, 2, 3],
            ..Default::default()
        };
        assert_eq!(p99_by_second(&[&r], 2.0), vec![2.0, 50.0]);
    }
}
