//! S3F (issue 18): S3's fan-out (same messages, endpoints, requests in flight) with a payload
//! filter on every endpoint that every message passes, so the deliveries are S3's and the
//! difference is what evaluating the filters costs: CPU per delivery beside S3's.

use crate::generator::Load;
use crate::receiver::Behavior;
use crate::run::{self, Entry, Measured, Scenario};
use crate::scenarios::{seconds_between, specs, target, totals, Suite};
use crate::stats::{per_second, round3};
use anyhow::Result;
use serde_json::{json, Value};

/// Passes the generator's messages (`seq >= 0`) and the warm-up (`warmup: true`), through an
/// `$or`, a comparison and the event type: a realistic filter that must be evaluated in full.
pub fn passing_filter() -> Value {
    json!({
        "event_type": crate::setup::EVENT_TYPE,
        "data": {"$or": [{"seq": {"$gte": 0}}, {"warmup": true}]}
    })
}

/// CPU milliseconds of the services, PostgreSQL and RabbitMQ per delivery, and the router's
/// alone; `None` when nothing was delivered.
pub fn cpu_ms_per_delivery(m: &Measured, delivered: u64) -> (Option<f64>, Option<f64>) {
    let all = m
        .services
        .values()
        .map(|u| u.cpu_s)
        .chain([m.postgres_cpu_s, m.rabbitmq_cpu_s]);
    let router = m.services.get("router").map(|u| u.cpu_s);
    (
        crate::gateway::cpu_ms_per(delivered, all),
        crate::gateway::cpu_ms_per(delivered, router),
    )
}

pub async fn s3f(suite: &mut Suite) -> Result<Value> {
    let p = &suite.plan;
    let load = Load::Closed {
        count: p.s3_messages,
        concurrency: p.concurrency,
    };
    let specs = specs(p.s3_endpoints, p.s3_messages, |_| Behavior::Ok);
    let all: Vec<usize> = (0..p.s3_endpoints).collect();
    let filter = passing_filter();
    let run = Scenario {
        name: "S3F",
        entry: Entry::Messages,
        specs: &specs,
        env: &[],
        awaited: &all,
        endpoint_filter: Some(&filter),
        fifo: &[],
        key_values: None,
        seed_sql: None,
        probe_sql: None,
    };
    let m = run::against(&suite.cfg, p, &run, load).await?;
    let t = totals(&m.endpoints_where(|_| true));
    let deliveries_per_s = per_second(
        t.delivered,
        seconds_between(m.gen.started_at_us, t.last_arrival_us),
    );
    let (cpu_per_delivery, router_per_delivery) = cpu_ms_per_delivery(&m, t.delivered);
    let mut out = suite.common(
        "S3F",
        format!(
            "{} messages to {} endpoints with a filter each (all pass), {} in flight",
            p.s3_messages, p.s3_endpoints, p.concurrency
        ),
        &m,
    );
    t.insert_into(&mut out, &t.e2e);
    out.insert("deliveries_per_s".into(), json!(deliveries_per_s));
    out.insert("filter".into(), filter);
    out.insert("cpu_ms_per_delivery".into(), json!(cpu_per_delivery));
    out.insert(
        "router_cpu_ms_per_delivery".into(),
        json!(router_per_delivery),
    );
    let s3 = suite.s3_cpu_ms_per_delivery;
    out.insert("s3_cpu_ms_per_delivery".into(), json!(s3.map(|s| s.0)));
    out.insert(
        "s3_router_cpu_ms_per_delivery".into(),
        json!(s3.map(|s| s.1)),
    );
    out.insert(
        "vs_L".into(),
        suite.vs_l(
            &[("deliveries_per_s", deliveries_per_s)],
            &suite.e2e_vs_l(&t.e2e),
        ),
    );
    let mut targets = vec![target(
        "S3F missing = 0",
        t.missing as f64,
        0.0,
        t.missing == 0,
    )];
    // "Not above today's": S3 of the same run, with 10% for the noise of a shared machine.
    if let (Some((s3_all, _)), Some(now)) = (s3, cpu_per_delivery) {
        targets.push(target(
            "S3F CPU ms per delivery <= 1.1 x S3's",
            now,
            round3(1.1 * s3_all),
            now <= 1.1 * s3_all,
        ));
    }
    out.insert("targets".into(), json!(targets));
    Ok(Value::Object(out))
}
