//! The services' own figures at the end of a run: their Prometheus metrics, kept beside their
//! logs, the counters that show where work went, and the per-hop latencies.

use crate::generator::Generator;
use crate::stack::StackConfig;
use std::collections::BTreeMap;

/// Counters of the services that show where work went (warm-up included), kept in the JSON.
pub const COUNTERS: [&str; 14] = [
    "hookd_ingest_publish_failures_total",
    "hookd_router_messages_relayed_total",
    "hookd_router_jobs_published_total",
    "hookd_delivery_attempts_total",
    "hookd_delivery_postponed_total",
    "hookd_delivery_jobs_scheduled_total",
    "hookd_delivery_retries_scheduled_total",
    "hookd_delivery_circuits_opened_total",
    // The gateway's path (G scenarios).
    "hookd_gateway_requests_accepted_total",
    "hookd_gateway_publish_failures_total",
    "hookd_gateway_requests_relayed_total",
    "hookd_gateway_events_created_total",
    "hookd_gateway_jobs_published_total",
    "hookd_gateway_attempts_total",
];

/// The sum of every sample of metric `name` (all label sets) in Prometheus text.
pub fn metric_sum(text: &str, name: &str) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        if !(rest.starts_with(' ') || rest.starts_with('{')) {
            continue; // a longer name with this prefix
        }
        let value = rest.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok());
        if let Some(v) = value {
            *found.get_or_insert(0.0) += v;
        }
    }
    found
}

/// Keeps each service's Prometheus metrics at the end of the run beside its log
/// (`<log-dir>/<scenario>-<service>.metrics`), for looking into where the time went, and
/// returns the [`COUNTERS`] found in them and the per-hop figures.
pub(crate) async fn save(
    gen: &Generator,
    cfg: &StackConfig,
    scenario: &str,
) -> (BTreeMap<&'static str, f64>, serde_json::Value) {
    let mut counters = BTreeMap::new();
    let mut texts = Vec::new();
    for (name, port) in crate::stack::SERVICES.iter().zip(cfg.ports) {
        let Some((200, body)) = gen.fetch(&format!("http://127.0.0.1:{port}/metrics")).await else {
            continue;
        };
        let path = cfg.log_dir.join(format!("{scenario}-{name}.metrics"));
        if let Err(e) = std::fs::write(&path, &body) {
            eprintln!("  could not write {}: {e}", path.display());
        }
        let text = String::from_utf8_lossy(&body);
        for c in COUNTERS {
            if let Some(v) = metric_sum(&text, c) {
                counters.insert(c, v);
            }
        }
        texts.push(text.into_owned());
    }
    (counters, crate::hops::summarise(&texts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_a_metric_over_its_labels() {
        let text = "# HELP hookd_delivery_attempts_total x\n\
            hookd_delivery_attempts_total{outcome=\"ok\"} 120\n\
            hookd_delivery_attempts_total{outcome=\"error\"} 3\n\
            hookd_delivery_attempts_total_extra 99\n\
            hookd_delivery_postponed_total 7\n";
        assert_eq!(
            metric_sum(text, "hookd_delivery_attempts_total"),
            Some(123.0)
        );
        assert_eq!(
            metric_sum(text, "hookd_delivery_postponed_total"),
            Some(7.0)
        );
        assert_eq!(metric_sum(text, "hookd_missing_total"), None);
    }
}
