//! Percentiles and latency summaries. Samples are microseconds; summaries print milliseconds.

use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// Microseconds since the Unix epoch: the clock of `sent_at_us` and of every arrival, shared by
/// the generator and the receiver because both run on this machine.
pub fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The `q`-th percentile (0 < q <= 100) of sorted samples by the nearest-rank method: the
/// smallest sample such that at least q% of the samples are at or below it. `None` when empty.
pub fn percentile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    // q * n first: exact for whole percentages, where (q / 100) * n may land just below.
    let rank = (q * n as f64 / 100.0).ceil() as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// p50, p99 and max of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    /// Summarises microsecond samples (sorts them in place).
    pub fn of_micros(samples: &mut [u64]) -> Self {
        samples.sort_unstable();
        let ms = |v: Option<u64>| round3(v.unwrap_or(0) as f64 / 1000.0);
        Self {
            count: samples.len(),
            p50_ms: ms(percentile(samples, 50.0)),
            p99_ms: ms(percentile(samples, 99.0)),
            max_ms: ms(samples.last().copied()),
        }
    }
}

/// Rounds to three decimals, so the JSON stays readable.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// `a / b`, rounded, or `None` when `b` is zero (no ratio to report).
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| round3(a / b))
}

/// Events per second over `seconds`, rounded to one decimal; 0 over an empty interval.
pub fn per_second(events: u64, seconds: f64) -> f64 {
    if seconds <= 0.0 {
        return 0.0;
    }
    (events as f64 / seconds * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.5), Some(1));
        assert_eq!(percentile(&v, 0.0), Some(1));

        let v = [10, 20, 30, 40];
        assert_eq!(percentile(&v, 50.0), Some(20));
        assert_eq!(percentile(&v, 51.0), Some(30));
        assert_eq!(percentile(&v, 75.0), Some(30));
        assert_eq!(percentile(&v, 99.0), Some(40));

        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn p99_of_1000_samples_ignores_the_worst_ten() {
        // 990 fast samples and 10 slow ones: p99 is the 990th, still fast; max is the worst.
        let mut v: Vec<u64> = vec![1_000; 990];
        v.extend((1..=10).map(|i| 1_000_000 * i));
        let s = Summary::of_micros(&mut v);
        assert_eq!(s.count, 1000);
        assert_eq!(s.p50_ms, 1.0);
        assert_eq!(s.p99_ms, 1.0);
        assert_eq!(s.max_ms, 10_000.0);
        // One more slow sample moves p99 onto the slow tail.
        v.push(5_000_000);
        let s = Summary::of_micros(&mut v);
        assert_eq!(s.p99_ms, 1_000.0);
    }

    #[test]
    fn summary_sorts_and_converts_to_ms() {
        let mut v = vec![3_500, 1_250, 2_000];
        let s = Summary::of_micros(&mut v);
        assert_eq!(v, vec![1_250, 2_000, 3_500]);
        assert_eq!(s.p50_ms, 2.0);
        assert_eq!(s.max_ms, 3.5);
        assert_eq!(Summary::of_micros(&mut []), Summary::default());
    }

    #[test]
    fn ratios_and_rates() {
        assert_eq!(ratio(1.0, 3.0), Some(0.333));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(per_second(1500, 2.0), 750.0);
        assert_eq!(per_second(10, 0.0), 0.0);
    }
}
