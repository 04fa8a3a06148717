//! The sizes of every scenario: the (full) and a quick variant for trial runs.

use std::time::Duration;

/// Scenario names, in run order.
/// G1 and G2 are S1 and S2 sent to a gateway source instead of the messages API.
/// S3F is S3 with a payload filter on every endpoint, S2O S2's load to a fifo endpoint beside
/// an unordered one (issue 18), S2OK the same with the fifo endpoint keyed (32 lanes); S2R is S2
/// while the retention pass expunges a backlog (issue 17).
/// S2H is S2 at a moderate rate; S4B is S4 without the hanging endpoint (S4's yardstick); S4C is
/// S4 at S2's rate, more than the machine delivers: capacity, not isolation (issue 13).
pub const SCENARIOS: [&str; 16] = [
    "L", "S1", "S2", "S2H", "S2O", "S2OK", "S2R", "S3", "S3F", "S4B", "S4", "S4C", "S5", "G1",
    "G2", "C",
];

#[derive(Debug, Clone)]
pub struct Plan {
    pub quick: bool,
    /// L: requests straight to the receiver, closed loop.
    pub l_count: u64,
    /// In flight for L, S1 and S3.
    pub concurrency: usize,
    /// S1: messages, one endpoint.
    pub s1_count: u64,
    /// S2: open-loop rate and duration, one endpoint.
    pub s2_rate: f64,
    pub s2_duration: Duration,
    /// S2H: S2 at this rate.
    pub s2h_rate: f64,
    /// S3: messages, each to every endpoint.
    pub s3_messages: u64,
    pub s3_endpoints: usize,
    /// S4: an open loop to `s4_endpoints` endpoints of which the first hangs (S4B: none hangs).
    pub s4_rate: f64,
    /// S4C: S4 at this rate.
    pub s4c_rate: f64,
    pub s4_duration: Duration,
    pub s4_endpoints: usize,
    /// `HOOKD__DELIVERY__TIMEOUT` in S4.
    pub s4_timeout: &'static str,
    /// S5: open-loop load to `s5_endpoints`, the first half failing for `s5_fail`.
    pub s5_rate: f64,
    pub s5_duration: Duration,
    pub s5_endpoints: usize,
    pub s5_fail: Duration,
    /// `HOOKD__DELIVERY__RETRY_SCHEDULE` in S5: short, so the backlog drains within the run.
    pub s5_schedule: &'static str,
    /// After the last send, wait at most this long for deliveries...
    pub drain_timeout: Duration,
    /// ...and give up earlier when nothing new arrives for this long.
    pub stall_timeout: Duration,
    /// C: messages in the app whose console log is read.
    pub c_messages: u64,
    /// C: fetches of each first page (unfiltered and per filter).
    pub c_repeats: u64,
    /// C: pages walked by "Next page" per filter (the unfiltered walk goes to the end).
    pub c_filter_pages: u64,
}

impl Plan {
    /// The sizes.
    pub fn full() -> Self {
        Self {
            quick: false,
            l_count: 100_000,
            concurrency: 64,
            s1_count: 50_000,
            s2_rate: 1000.0,
            s2_duration: Duration::from_secs(30),
            s2h_rate: 500.0,
            s3_messages: 1000,
            s3_endpoints: 100,
            s4_rate: 200.0,
            s4c_rate: 1000.0,
            s4_duration: Duration::from_secs(30),
            s4_endpoints: 10,
            s4_timeout: "2s",
            s5_rate: 200.0,
            s5_duration: Duration::from_secs(20),
            s5_endpoints: 10,
            s5_fail: Duration::from_secs(20),
            s5_schedule: "0s,1s,2s,4s,8s,8s,8s,8s",
            drain_timeout: Duration::from_secs(120),
            stall_timeout: Duration::from_secs(45),
            c_messages: 100_000,
            c_repeats: 200,
            c_filter_pages: 100,
        }
    }

    /// Smaller counts and durations for trial runs (`--quick`).
    pub fn quick() -> Self {
        Self {
            quick: true,
            l_count: 20_000,
            s1_count: 5_000,
            s2_duration: Duration::from_secs(10),
            s3_messages: 200,
            s4_duration: Duration::from_secs(10),
            s5_rate: 100.0,
            s5_duration: Duration::from_secs(10),
            s5_fail: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(60),
            c_repeats: 50,
            c_filter_pages: 20,
            ..Self::full()
        }
    }
}

/// Parses `--only S1,S2` into scenario names in run order. L runs with any S or G scenario:
/// their figures are reported as ratios to it (C's page times are not, so C runs alone). S1
/// runs with G1, whose target is S1's accepted/s; S2 with S2R, whose target is S2's p99; and
/// S4B with S4, whose target is S4B's p99.
pub fn select(only: Option<&str>) -> Result<Vec<&'static str>, String> {
    let Some(only) = only else {
        return Ok(SCENARIOS.to_vec());
    };
    let wanted: Vec<String> = only
        .split(',')
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = wanted.iter().find(|w| !SCENARIOS.contains(&w.as_str())) {
        return Err(format!(
            "unknown scenario `{bad}`; choose among {}",
            SCENARIOS.join(",")
        ));
    }
    if wanted.is_empty() {
        return Err("--only needs at least one scenario".into());
    }
    Ok(SCENARIOS
        .iter()
        .copied()
        .filter(|s| {
            wanted.iter().any(|w| w == s)
                || (*s == "L" && wanted.iter().any(|w| w.starts_with(['S', 'G'])))
                || (*s == "S1" && wanted.iter().any(|w| w == "G1"))
                || (*s == "S2" && wanted.iter().any(|w| w == "S2R"))
                || (*s == "S4B" && wanted.iter().any(|w| w == "S4"))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_keeps_run_order_and_the_baseline() {
        assert_eq!(select(None).unwrap(), SCENARIOS.to_vec());
        assert_eq!(select(Some("s3, S1")).unwrap(), vec!["L", "S1", "S3"]);
        assert_eq!(select(Some("L")).unwrap(), vec!["L"]);
        assert_eq!(select(Some("c")).unwrap(), vec!["C"]);
        assert_eq!(select(Some("S2,C")).unwrap(), vec!["L", "S2", "C"]);
        assert_eq!(select(Some("g2")).unwrap(), vec!["L", "G2"]);
        assert_eq!(select(Some("s3f,s3")).unwrap(), vec!["L", "S3", "S3F"]);
        assert_eq!(select(Some("S2R")).unwrap(), vec!["L", "S2", "S2R"]);
        assert_eq!(select(Some("G1,G2")).unwrap(), vec!["L", "S1", "G1", "G2"]);
        assert_eq!(select(Some("s4")).unwrap(), vec!["L", "S4B", "S4"]);
        assert_eq!(select(Some("S2H,S4C")).unwrap(), vec!["L", "S2H", "S4C"]);
        assert_eq!(select(Some("s2ok,S2O")).unwrap(), vec!["L", "S2O", "S2OK"]);
        assert_eq!(select(Some("S2OK")).unwrap(), vec!["L", "S2OK"]);
        assert!(select(Some("S9")).is_err());
        assert!(select(Some(",")).is_err());
    }

    #[test]
    fn quick_is_smaller() {
        let (f, q) = (Plan::full(), Plan::quick());
        assert!(q.s1_count < f.s1_count && q.s2_duration < f.s2_duration);
        assert_eq!(f.s1_count, 50_000);
        assert_eq!((f.s2_rate * f.s2_duration.as_secs_f64()) as u64, 30_000);
    }
}
