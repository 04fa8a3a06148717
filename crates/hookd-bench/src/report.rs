//! The machine a run was on, and the Markdown section of BENCHMARKS.md made from the scenarios'
//! JSON objects (between two marker comments, so the prose around it stays).

use serde_json::Value;
use std::path::Path;

pub const BEGIN: &str = "<!-- bench:begin (written by scripts/bench.sh; edits inside are lost) -->";
pub const END: &str = "<!-- bench:end -->";

/// What the run was on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Machine {
    pub cores: usize,
    pub memory_gib: f64,
    pub cpu_model: String,
    /// `/proc/loadavg` (1, 5, 15 min) when the run began: other work on the machine.
    pub load_before: String,
}

impl Machine {
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Self {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory_gib: mem_total_gib(&meminfo).unwrap_or(0.0),
            cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".into()),
            load_before: String::new(),
        }
    }
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

fn mem_total_gib(meminfo: &str) -> Option<f64> {
    let kb: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((kb / 1024.0 / 1024.0 * 10.0).round() / 10.0)
}

/// A number as a table shows it: three significant figures or so.
pub(crate) fn num(v: &Value) -> String {
    if let Some(i) = v.as_u64() {
        return i.to_string();
    }
    match v.as_f64() {
        None => "–".into(),
        Some(x) if x.abs() >= 100.0 => format!("{x:.0}"),
        Some(x) if x.abs() >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
    }
}

fn with_ratio(v: &Value, r: &Value) -> String {
    if v.is_null() {
        return "–".into();
    }
    match r.as_f64() {
        Some(r) => format!("{} ({r:.2}×L)", num(v)),
        None => num(v),
    }
}

pub(crate) fn latencies(s: &Value, keys: &[&str]) -> String {
    if s.is_null() {
        return "–".into();
    }
    keys.iter()
        .map(|k| num(&s[*k]))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn services(v: &Value, field: &str) -> String {
    if v["services"].is_null() {
        return "–".into();
    }
    ["ingest", "router", "delivery"]
        .iter()
        .map(|s| num(&v["services"][*s][field]))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// One row per scenario.
fn row(v: &Value) -> String {
    if let Some(error) = v["error"].as_str() {
        let scenario = v["scenario"].as_str().unwrap_or("?");
        return format!(
            "| {scenario} | failed: {} |{}",
            error.replace('|', "/"),
            " – |".repeat(10)
        );
    }
    let is_l = v["scenario"] == "L";
    let (rate, rate_ratio, ingest) = if is_l {
        (&v["requests_per_s"], Value::from(1.0), &v["request_ms"])
    } else {
        (
            &v["accepted_per_s"],
            v["vs_L"]["accepted_per_s"].clone(),
            &v["ingest_ms"],
        )
    };
    let cpu = if is_l {
        format!("bench {}", num(&v["bench_cpu_s"]))
    } else {
        format!(
            "{} / {} / {}",
            services(v, "cpu_s"),
            num(&v["postgres_cpu_s"]),
            num(&v["rabbitmq_cpu_s"])
        )
    };
    let cells = [
        v["scenario"].as_str().unwrap_or("?").to_owned(),
        v["load"].as_str().unwrap_or("").to_owned(),
        with_ratio(rate, &rate_ratio),
        latencies(ingest, &["p50_ms", "p99_ms"]),
        with_ratio(&v["deliveries_per_s"], &v["vs_L"]["deliveries_per_s"]),
        latencies(&v["e2e_ms"], &["p50_ms", "p99_ms", "max_ms"]),
        if is_l {
            "1.00".into()
        } else {
            num(&v["vs_L"]["e2e_p99"])
        },
        num(&v["missing"]),
        num(&v["duplicates"]),
        services(v, "peak_rss_mib"),
        cpu,
        num(&v["cpu_ms_per_request"]),
    ];
    format!("| {} |", cells.join(" | "))
}

/// The section between the markers: command, machine, date, the table, the targets.
pub fn render(results: &[Value], machine: &Machine, command: &str, date: &str) -> String {
    let mut s = vec![
        BEGIN.to_owned(),
        format!("Command: `{command}` · date: {date} (UTC)"),
        String::new(),
        format!(
            "Machine: {} cores (`nproc`), {} GiB memory, CPU \"{}\"; PostgreSQL, RabbitMQ, the three services, the generator and the receiver all on it. Load average when the run began: {}.",
            machine.cores, machine.memory_gib, machine.cpu_model, machine.load_before
        ),
        String::new(),
        "| scenario | load | accepted/s (L: requests/s) | ingest p50 / p99 ms | deliveries/s | e2e p50 / p99 / max ms | e2e p99 ×L | missing | dup | peak RSS MiB ingest / router / delivery | CPU s ingest / router / delivery / postgres / rabbitmq | CPU ms per message |".into(),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |".into(),
    ];
    // C measures pages, not deliveries: it has no columns here, only a note and its target.
    s.extend(results.iter().filter(|v| v["scenario"] != "C").map(row));
    s.push(String::new());
    s.extend(crate::hops::table(results));
    let targets: Vec<&Value> = results
        .iter()
        .filter_map(|v| v["targets"].as_array())
        .flatten()
        .collect();
    if !targets.is_empty() {
        s.push("| target | measured | limit | met |".into());
        s.push("| --- | --- | --- | --- |".into());
        for t in targets {
            s.push(format!(
                "| {} | {} | {} | {} |",
                t["target"].as_str().unwrap_or("?"),
                num(&t["value"]),
                num(&t["limit"]),
                if t["met"] == true { "yes" } else { "**no**" }
            ));
        }
        s.push(String::new());
    }
    let notes = crate::report_notes::notes(results);
    if !notes.is_empty() {
        s.extend(notes);
        s.push(String::new());
    }
    s.push(END.to_owned());
    s.join("\n")
}

/// Replaces the marked section of `text` (or appends one when there is none).
pub fn splice(text: &str, section: &str) -> String {
    match (text.find(BEGIN), text.find(END)) {
        (Some(b), Some(e)) if e > b => {
            format!("{}{}{}", &text[..b], section, &text[e + END.len()..])
        }
        _ if text.trim().is_empty() => format!("# Benchmarks\n\n{section}\n"),
        _ => format!("{}\n\n{section}\n", text.trim_end()),
    }
}

/// Writes the section into the file, creating it when missing.
pub fn write_into(path: &Path, section: &str) -> std::io::Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    std::fs::write(path, splice(&text, section))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_machine() {
        let cpu = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\n";
        assert_eq!(cpu_model(cpu).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(mem_total_gib("MemTotal:       25165824 kB\n"), Some(24.0));
        assert!(Machine::detect().cores >= 1);
    }

    #[test]
    fn renders_rows_targets_and_notes() {
        let results = vec![
            json!({"scenario": "L", "load": "1000 requests", "requests_per_s": 25000.0,
                   "request_ms": {"p50_ms": 2.5, "p99_ms": 5.0, "max_ms": 9.0},
                   "e2e_ms": {"p50_ms": 1.0, "p99_ms": 3.0, "max_ms": 8.0},
                   "missing": 0, "duplicates": 0, "bench_cpu_s": 1.5}),
            json!({"scenario": "S1", "load": "5000 messages", "accepted_per_s": 5000.0,
                   "ingest_ms": {"p50_ms": 10.0, "p99_ms": 40.0},
                   "deliveries_per_s": 4900.0, "e2e_ms": {"p50_ms": 20.0, "p99_ms": 90.0, "max_ms": 120.0},
                   "missing": 0, "duplicates": 1, "drained": true,
                   "services": {"ingest": {"peak_rss_mib": 30.0, "cpu_s": 5.0},
                                "router": {"peak_rss_mib": 20.0, "cpu_s": 2.0},
                                "delivery": {"peak_rss_mib": 25.0, "cpu_s": 3.0}},
                   "postgres_cpu_s": 4.0, "rabbitmq_cpu_s": 2.5, "cpu_ms_per_request": 0.33,
                   "vs_L": {"accepted_per_s": 0.2, "deliveries_per_s": 0.196, "e2e_p99": 30.0},
                   "targets": [{"target": "S1 missing = 0", "value": 0.0, "limit": 0.0, "met": true},
                               {"target": "S1 accepted/s >= 0.2 x L", "value": 5000.0, "limit": 5000.0, "met": false}]}),
            json!({"scenario": "S4", "load": "x", "drained": false, "e2e_ms": {"p99_ms": 12.0},
                   "s4b_e2e_p99_ms": 8.0, "e2e_p99_vs_s4b": 1.5, "hanging_requests": 40, "missing": 3}),
        ];
        let m = Machine {
            cores: 2,
            memory_gib: 24.0,
            cpu_model: "Test CPU".into(),
            load_before: "0.50 0.40 0.30".into(),
        };
        let md = render(&results, &m, "make bench", "2026-11-23 12:00");
        assert!(md.starts_with(BEGIN) && md.ends_with(END));
        assert!(md.contains("2 cores (`nproc`), 24 GiB memory, CPU \"Test CPU\""));
        assert!(md.contains("began: 0.50 0.40 0.30."));
        assert!(md.contains("| L | 1000 requests | 25000 (1.00×L) | 2.50 / 5.00 |"));
        assert!(md.contains("| S1 | 5000 messages | 5000 (0.20×L) | 10.0 / 40.0 | 4900 (0.20×L) | 20.0 / 90.0 / 120 | 30.0 | 0 | 1 | 30.0 / 20.0 / 25.0 | 5.00 / 2.00 / 3.00 / 4.00 / 2.50 | 0.33 |"));
        assert!(md.contains("| S1 missing = 0 | 0.00 | 0.00 | yes |"));
        assert!(md.contains("| **no** |"));
        assert!(
            md.contains("- S4: healthy endpoints' e2e p99 12.0 ms against S4B's (no endpoint hanging) 8.00 ms (1.50×)")
        );
        assert!(md.contains("- S4: deliveries were still missing"));
    }

    #[test]
    fn the_console_scenario_is_a_note_and_a_target_not_a_row() {
        let c = json!({"scenario": "C", "messages": 100000, "pages_fetched": 2330,
            "full_walk_pages": 2000,
            "all_pages": {"server_ms": {"p50_ms": 3.5, "p99_ms": 20.0},
                          "client_ms": {"p50_ms": 4.0, "p99_ms": 22.0}},
            "first_page": {"server_ms": {"p99_ms": 4.2}},
            "targets": [{"target": "C console message log server time p99 <= 50 ms",
                         "value": 20.0, "limit": 50.0, "met": true}]});
        let md = render(
            &[c],
            &Machine::detect(),
            "hookd-bench --only C",
            "2026-12-01 03:00",
        );
        assert!(!md.contains("| C |"), "{md}");
        assert!(md.contains("- C: console message log with 100000 messages: server time p50/p99 3.50 / 20.0 ms (client 4.00 / 22.0 ms) over 2330 pages"), "{md}");
        assert!(
            md.contains("| C console message log server time p99 <= 50 ms | 20.0 | 50.0 | yes |")
        );
    }

    #[test]
    fn gateway_scenarios_are_rows_with_a_cpu_note() {
        let g1 = json!({"scenario": "G1", "load": "5000 inbound requests", "accepted_per_s": 900.0,
            "ingest_ms": {"p50_ms": 5.0, "p99_ms": 30.0}, "deliveries_per_s": 880.0,
            "e2e_ms": {"p50_ms": 9.0, "p99_ms": 40.0, "max_ms": 60.0}, "missing": 0,
            "duplicates": 2, "cpu_ms_per_request": 1.25, "s1_accepted_per_s": 1100.0});
        let g2 = json!({"scenario": "G2", "load": "1000 inbound req/s", "missing": 3,
            "duplicates": 0, "cpu_ms_per_request": 0.5, "s2_e2e_p99_ms": 7.5});
        let md = render(&[g1, g2], &Machine::detect(), "x", "2026-12-01 04:00");
        assert!(
            md.contains("| G1 | 5000 inbound requests | 900 | 5.00 / 30.0 | 880 |"),
            "{md}"
        );
        assert!(md.contains("- G1: inbound to a gateway source, one connection; CPU 1.25 ms per accepted request (services, PostgreSQL, RabbitMQ); missing 0, duplicates 2; S1's accepted/s in this run 1100."), "{md}");
        assert!(md.contains("- G2: inbound to a gateway source, one connection; CPU 0.50 ms per accepted request (services, PostgreSQL, RabbitMQ); missing 3, duplicates 0; S2's e2e p99 in this run 7.50 ms."), "{md}");
    }

    #[test]
    fn splices_between_markers_and_keeps_the_prose() {
        let old =
            format!("# Benchmarks\n\nintro\n\n{BEGIN}\nold table\n{END}\n\n## Account\ntext\n");
        let new = splice(&old, &format!("{BEGIN}\nnew table\n{END}"));
        assert_eq!(
            new,
            format!("# Benchmarks\n\nintro\n\n{BEGIN}\nnew table\n{END}\n\n## Account\ntext\n")
        );
        assert_eq!(splice("", "S"), "# Benchmarks\n\nS\n");
        assert_eq!(splice("# B\n", "S"), "# B\n\nS\n");
    }
}
