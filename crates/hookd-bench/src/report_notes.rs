//! The notes under BENCHMARKS.md's table: scenario-specific figures that have no column.

use crate::report::{latencies, num};
use serde_json::Value;

/// Scenario-specific figures that have no column.
pub(crate) fn notes(results: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for v in results {
        match v["scenario"].as_str() {
            Some("S4") => out.push(format!(
                "- S4: healthy endpoints' e2e p99 {} ms against S4B's (no endpoint hanging) {} ms ({}×); the hanging endpoint took {} requests; healthy missing {}.",
                num(&v["e2e_ms"]["p99_ms"]),
                num(&v["s4b_e2e_p99_ms"]),
                num(&v["e2e_p99_vs_s4b"]),
                num(&v["hanging_requests"]),
                num(&v["missing"]),
            )),
            Some("S5") => out.push(format!(
                "- S5: the failing endpoints' backlog drained {} s after they recovered ({} s after the load began); {} failed attempts; failing endpoints' e2e p50/p99 {} ms; healthy endpoints' e2e p99 meanwhile {} ms; missing {}.",
                num(&v["drain_after_recovery_s"]),
                num(&v["backlog_drained_after_s"]),
                num(&v["failed_attempts"]),
                latencies(&v["failing_e2e_ms"], &["p50_ms", "p99_ms"]),
                num(&v["e2e_ms"]["p99_ms"]),
                num(&v["missing"]),
            )),
            Some("S2R") if v["error"].is_null() => out.push(format!(
                "- S2R: S2 while the retention pass expunged {} of {} expired messages ({} rows/s, {} left at the end); e2e p99 {} ms against S2's {} ms ({}×); missing {}.",
                num(&v["rows_expunged"]),
                num(&v["backlog_seeded"]),
                num(&v["expunged_per_s"]),
                num(&v["backlog_left"]),
                num(&v["e2e_ms"]["p99_ms"]),
                num(&v["s2_e2e_p99_ms"]),
                num(&v["e2e_p99_vs_s2"]),
                num(&v["missing"]),
            )),
            Some("S3F") if v["error"].is_null() => out.push(format!(
                "- S3F: every endpoint filters (all pass); CPU {} ms per delivery (router {}) against S3's {} ({}) in this run.",
                num(&v["cpu_ms_per_delivery"]),
                num(&v["router_cpu_ms_per_delivery"]),
                num(&v["s3_cpu_ms_per_delivery"]),
                num(&v["s3_router_cpu_ms_per_delivery"]),
            )),
            Some(s @ ("S2O" | "S2OK")) if v["error"].is_null() => out.push(format!(
                "- {s}: fifo endpoint ({}, receiver ~1 ms) {} deliveries/s, e2e p50/p99 {} ms, {} of {} deliveries out of order in their lane (after an acknowledged lane-mate; {} against message ids, concurrent sends included); the unordered one beside it e2e p50/p99 {} ms (S2's p99 {}); CPU {} ms per delivery; missing {}.",
                match v["fifo_lanes"].as_u64() {
                    Some(1) | None => "one lane".to_owned(),
                    Some(n) => format!("{n} lanes"),
                },
                num(&v["fifo_deliveries_per_s"]),
                latencies(&v["fifo_e2e_ms"], &["p50_ms", "p99_ms"]),
                num(&v["fifo_out_of_order"]),
                num(&v["fifo_order_checked"]),
                num(&v["fifo_id_inversions"]),
                latencies(&v["unordered_e2e_ms"], &["p50_ms", "p99_ms"]),
                num(&v["s2_e2e_p99_ms"]),
                num(&v["cpu_ms_per_delivery"]),
                num(&v["missing"]),
            )),
            Some(g @ ("G1" | "G2")) if v["error"].is_null() => out.push(format!(
                "- {g}: inbound to a gateway source, one connection; CPU {} ms per accepted request (services, PostgreSQL, RabbitMQ); missing {}, duplicates {}{}.",
                num(&v["cpu_ms_per_request"]),
                num(&v["missing"]),
                num(&v["duplicates"]),
                match g {
                    "G1" => format!("; S1's accepted/s in this run {}", num(&v["s1_accepted_per_s"])),
                    _ => format!("; S2's e2e p99 in this run {} ms", num(&v["s2_e2e_p99_ms"])),
                },
            )),
            Some("C") if v["error"].is_null() => out.push(format!(
                "- C: console message log with {} messages: server time p50/p99 {} ms (client {} ms) over {} pages (first page, the whole keyset walk of {} pages, four filters); first page alone p99 {} ms.",
                num(&v["messages"]),
                latencies(&v["all_pages"]["server_ms"], &["p50_ms", "p99_ms"]),
                latencies(&v["all_pages"]["client_ms"], &["p50_ms", "p99_ms"]),
                num(&v["pages_fetched"]),
                num(&v["full_walk_pages"]),
                num(&v["first_page"]["server_ms"]["p99_ms"]),
            )),
            _ => {}
        }
        if v["drained"] == false {
            out.push(format!(
                "- {}: deliveries were still missing when the bounded wait ended.",
                v["scenario"].as_str().unwrap_or("?")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fifo_scenarios_note_their_lanes_and_order() {
        let s2ok = json!({"scenario": "S2OK", "fifo_lanes": 32, "fifo_deliveries_per_s": 498.4,
            "fifo_e2e_ms": {"p50_ms": 4.5, "p99_ms": 20.0}, "fifo_out_of_order": 0,
            "fifo_id_inversions": 3, "fifo_order_checked": 15000, "unordered_e2e_ms": {"p50_ms": 3.0, "p99_ms": 12.0},
            "s2_e2e_p99_ms": null, "cpu_ms_per_delivery": 1.25, "missing": 0});
        let s2o = json!({"scenario": "S2O", "fifo_lanes": 1, "fifo_deliveries_per_s": 196.0,
            "fifo_out_of_order": 2, "fifo_order_checked": 15000, "missing": 0,
            "drained": false});
        let notes = notes(&[s2ok, s2o]);
        assert_eq!(notes[0], "- S2OK: fifo endpoint (32 lanes, receiver ~1 ms) 498 deliveries/s, e2e p50/p99 4.50 / 20.0 ms, 0 of 15000 deliveries out of order in their lane (after an acknowledged lane-mate; 3 against message ids, concurrent sends included); the unordered one beside it e2e p50/p99 3.00 / 12.0 ms (S2's p99 –); CPU 1.25 ms per delivery; missing 0.");
        assert!(notes[1].starts_with("- S2O: fifo endpoint (one lane, receiver ~1 ms) 196 deliveries/s, e2e p50/p99 – ms, 2 of 15000"), "{notes:?}");
        assert_eq!(
            notes[2],
            "- S2O: deliveries were still missing when the bounded wait ended."
        );
    }
}
