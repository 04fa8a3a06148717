//! Per-hop latency from the services' `hookd_hop_seconds{hop}` histograms, scraped at the end
//! of a scenario: p50 and p99 per hop, read from the cumulative buckets the way Prometheus'
//! `histogram_quantile` does (linear within the bucket that holds the rank).

use serde_json::{json, Map, Value};

/// The hops in the order a message takes them (`hookd_telemetry::Hop`).
pub const HOPS: [&str; 7] = [
    "to_router",
    "fanout",
    "publish",
    "to_delivery",
    "before_try",
    "try",
    "record",
];

const METRIC: &str = "hookd_hop_seconds";

/// One hop's histogram: cumulative `(le, count)` buckets, the sum and the count.
#[derive(Debug, Default, Clone, PartialEq)]
struct Histogram {
    buckets: Vec<(f64, f64)>,
    sum: f64,
    count: f64,
}

/// The value of label `name` in a `{a="x",b="y"}` label set.
fn label<'a>(labels: &'a str, name: &str) -> Option<&'a str> {
    let start = labels.find(&format!("{name}=\""))? + name.len() + 2;
    let end = labels[start..].find('"')? + start;
    Some(&labels[start..end])
}

/// Adds the hop histograms found in one service's metrics text to `into`.
fn read(text: &str, into: &mut std::collections::BTreeMap<String, Histogram>) {
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(METRIC) else {
            continue;
        };
        let (kind, rest) = match rest {
            r if r.starts_with("_bucket{") => ("bucket", &r[7..]),
            r if r.starts_with("_sum{") => ("sum", &r[4..]),
            r if r.starts_with("_count{") => ("count", &r[6..]),
            _ => continue,
        };
        let Some((labels, value)) = rest.rsplit_once(' ') else {
            continue;
        };
        let (Some(hop), Ok(value)) = (label(labels, "hop"), value.parse::<f64>()) else {
            continue;
        };
        let h = into.entry(hop.to_owned()).or_default();
        match kind {
            "bucket" => {
                let le = match label(labels, "le") {
                    Some("+Inf") => f64::INFINITY,
                    Some(v) => v.parse().unwrap_or(f64::INFINITY),
                    None => continue,
                };
                h.buckets.push((le, value));
            }
            "sum" => h.sum += value,
            _ => h.count += value,
        }
    }
}

/// The `q`-quantile (0..1) in seconds, `None` without observations.
fn quantile(h: &Histogram, q: f64) -> Option<f64> {
    let mut buckets = h.buckets.clone();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let (mut lower, mut below) = (0.0, 0.0);
    for (le, count) in buckets {
        if count >= rank {
            if le.is_infinite() {
                // Past the last finite bound: that bound is all that is known.
                return Some(lower);
            }
            let share = if count > below {
                (rank - below) / (count - below)
            } else {
                1.0
            };
            return Some(lower + (le - lower) * share);
        }
        (lower, below) = (le, count);
    }
    Some(lower)
}

fn ms(seconds: f64) -> f64 {
    crate::stats::round3(seconds * 1000.0)
}

/// `{hop: {count, p50_ms, p99_ms, mean_ms}}` in path order, from the metrics texts of every
/// service (each hop is seen by one service). Hops without observations are left out.
pub fn summarise(texts: &[String]) -> Value {
    let mut all = std::collections::BTreeMap::new();
    for text in texts {
        read(text, &mut all);
    }
    let mut out = Map::new();
    for hop in HOPS {
        let Some(h) = all.get(hop) else { continue };
        let (Some(p50), Some(p99)) = (quantile(h, 0.5), quantile(h, 0.99)) else {
            continue;
        };
        out.insert(
            hop.into(),
            json!({
                "count": h.count,
                "p50_ms": ms(p50),
                "p99_ms": ms(p99),
                "mean_ms": ms(if h.count > 0.0 { h.sum / h.count } else { 0.0 }),
            }),
        );
    }
    Value::Object(out)
}

/// The per-hop table of BENCHMARKS.md: one row per scenario with hop figures, `p50 / p99` ms.
pub fn table(results: &[Value]) -> Vec<String> {
    let rows: Vec<String> = results
        .iter()
        .filter(|v| v["hops_ms"].as_object().is_some_and(|h| !h.is_empty()))
        .map(|v| {
            let cells: Vec<String> = HOPS
                .iter()
                .map(|hop| {
                    let h = &v["hops_ms"][*hop];
                    match (h["p50_ms"].as_f64(), h["p99_ms"].as_f64()) {
                        (Some(p50), Some(p99)) => format!("{} / {}", fig(p50), fig(p99)),
                        _ => "–".into(),
                    }
                })
                .collect();
            format!(
                "| {} | {} |",
                v["scenario"].as_str().unwrap_or("?"),
                cells.join(" | ")
            )
        })
        .collect();
    if rows.is_empty() {
        return rows;
    }
    let mut out = vec![
        format!(
            "Per hop, p50 / p99 ms (`hookd_hop_seconds`, read from its buckets): {}.",
            "to_router = accepted by ingest → consumed by the router; fanout = → deliveries \
             recorded; publish = → jobs' publishes confirmed; to_delivery = job handed to the \
             broker → consumed by delivery (overlaps publish); before_try = → HTTP try starts; \
             try = the HTTP try; record = → attempt recorded"
        ),
        String::new(),
        format!("| scenario | {} |", HOPS.join(" | ")),
        format!("| --- |{}", " --- |".repeat(HOPS.len())),
    ];
    out.extend(rows);
    out.push(String::new());
    out
}

/// Three significant figures or so, as the main table shows numbers.
fn fig(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# HELP hookd_hop_seconds x\n# TYPE hookd_hop_seconds histogram\n\
hookd_hop_seconds_bucket{hop=\"fanout\",le=\"0.001\"} 50\n\
hookd_hop_seconds_bucket{hop=\"fanout\",le=\"0.002\"} 90\n\
hookd_hop_seconds_bucket{hop=\"fanout\",le=\"0.004\"} 100\n\
hookd_hop_seconds_bucket{hop=\"fanout\",le=\"+Inf\"} 100\n\
hookd_hop_seconds_sum{hop=\"fanout\"} 0.12\n\
hookd_hop_seconds_count{hop=\"fanout\"} 100\n\
hookd_hop_seconds_bucket{hop=\"publish\",le=\"0.001\"} 0\n\
hookd_hop_seconds_bucket{hop=\"publish\",le=\"+Inf\"} 0\n\
hookd_hop_seconds_count{hop=\"publish\"} 0\n\
hookd_other_bucket{hop=\"fanout\",le=\"0.001\"} 7\n";

    #[test]
    fn quantiles_interpolate_within_the_bucket() {
        let v = summarise(&[TEXT.to_owned()]);
        let f = &v["fanout"];
        assert_eq!(f["count"], 100.0);
        // rank 50 is the top of the first bucket; rank 99 is 9/10 into (2, 4] ms.
        assert_eq!(f["p50_ms"], 1.0);
        assert_eq!(f["p99_ms"], 3.8);
        assert_eq!(f["mean_ms"], 1.2);
        // No observations: no figures.
        assert!(v.get("publish").is_none(), "{v}");
    }

    #[test]
    fn past_the_last_bound_is_that_bound() {
        let text = "hookd_hop_seconds_bucket{hop=\"try\",le=\"0.5\"} 1\n\
hookd_hop_seconds_bucket{hop=\"try\",le=\"+Inf\"} 10\n";
        let v = summarise(&[text.to_owned()]);
        assert_eq!(v["try"]["p99_ms"], 500.0);
    }

    #[test]
    fn the_table_has_a_row_per_scenario_with_hops() {
        let results = vec![
            json!({"scenario": "L"}),
            json!({"scenario": "S2", "hops_ms": summarise(&[TEXT.to_owned()])}),
        ];
        let t = table(&results);
        assert!(
            t.contains(&"| S2 | – | 1.00 / 3.80 | – | – | – | – | – |".to_owned()),
            "{t:?}"
        );
        assert!(!t.iter().any(|l| l.starts_with("| L ")));
        assert!(table(&results[..1]).is_empty());
    }
}
