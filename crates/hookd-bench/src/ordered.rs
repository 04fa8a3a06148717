//! S2O (issue 18): S2's open-loop load to two endpoints whose receiver answers in ~1 ms: one
//! fifo (a single lane, the hardest case: every message waits for the one before it) and one
//! unordered beside it. The fifo endpoint's deliveries per second (target >= 500) and the
//! unordered one's end-to-end latency against S2's, and CPU per delivery.

use crate::receiver::Behavior;
use crate::run::{self, Entry, Scenario};
use crate::scenarios::{seconds_between, specs, target, totals, Suite};
use crate::stats::{per_second, ratio};
use anyhow::Result;
use serde_json::{json, Value};
use std::time::Duration;

/// What the receiver takes to answer each webhook.
const ANSWER_AFTER: Duration = Duration::from_millis(1);
/// The fifo endpoint's target, deliveries per second.
const FIFO_TARGET: f64 = 500.0;

pub async fn s2o(suite: &mut Suite) -> Result<Value> {
    let p = &suite.plan;
    // S2's duration at the target rate: the fifo endpoint keeps up, or its backlog shows.
    let load = suite.open(FIFO_TARGET, p.s2_duration);
    let specs = specs(2, load.count(), |_| Behavior::After(ANSWER_AFTER));
    let run = Scenario {
        name: "S2O",
        entry: Entry::Messages,
        specs: &specs,
        env: &[],
        awaited: &[0, 1],
        endpoint_filter: None,
        fifo: &[0],
        seed_sql: None,
        probe_sql: None,
    };
    let m = run::against(&suite.cfg, p, &run, load).await?;
    let fifo = totals(&m.endpoints_where(|i| i == 0));
    let unordered = totals(&m.endpoints_where(|i| i == 1));
    let fifo_per_s = per_second(
        fifo.delivered,
        seconds_between(m.gen.started_at_us, fifo.last_arrival_us),
    );
    let all = totals(&m.endpoints_where(|_| true));
    let (cpu_per_delivery, router_per_delivery) =
        crate::fanout_filters::cpu_ms_per_delivery(&m, all.delivered);
    let mut out = suite.common(
        "S2O",
        format!(
            "{FIFO_TARGET} msg/s for {} s to a fifo endpoint (one lane) and an unordered one, \
             receiver answers in {} ms",
            p.s2_duration.as_secs(),
            ANSWER_AFTER.as_millis()
        ),
        &m,
    );
    all.insert_into(&mut out, &unordered.e2e);
    out.insert("fifo_deliveries_per_s".into(), json!(fifo_per_s));
    out.insert("fifo_e2e_ms".into(), json!(fifo.e2e));
    out.insert("fifo_missing".into(), json!(fifo.missing));
    out.insert("unordered_e2e_ms".into(), json!(unordered.e2e));
    out.insert("unordered_missing".into(), json!(unordered.missing));
    out.insert("cpu_ms_per_delivery".into(), json!(cpu_per_delivery));
    out.insert(
        "router_cpu_ms_per_delivery".into(),
        json!(router_per_delivery),
    );
    // S2 of the same run (one unordered endpoint, a receiver answering at once) is the yardstick
    // of "unaffected".
    out.insert("s2_e2e_p99_ms".into(), json!(suite.s2_p99_ms));
    out.insert(
        "unordered_p99_vs_s2".into(),
        json!(suite
            .s2_p99_ms
            .and_then(|s2| ratio(unordered.e2e.p99_ms, s2))),
    );
    out.insert(
        "targets".into(),
        json!([
            target(
                "S2O fifo deliveries/s >= 500 (receiver ~1 ms)",
                fifo_per_s,
                FIFO_TARGET,
                fifo_per_s >= FIFO_TARGET * 0.95 && fifo.missing == 0,
            ),
            target(
                "S2O missing = 0 on both endpoints",
                (fifo.missing + unordered.missing) as f64,
                0.0,
                fifo.missing + unordered.missing == 0,
            ),
        ]),
    );
    Ok(Value::Object(out))
}
