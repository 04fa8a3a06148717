//! Optional per-endpoint delivery rate limits: a token bucket per endpoint holding one second
//! of its rate. Per delivery process, so N replicas allow up to N times the rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Default)]
pub struct Pacer {
    buckets: Mutex<HashMap<Uuid, (f64, Instant)>>,
}

impl Pacer {
    /// Takes a token for a try to `endpoint` limited to `rate` per second, or says how long
    /// until one is there.
    pub fn take(&self, endpoint: Uuid, rate: u32) -> Result<(), Duration> {
        self.take_per(endpoint, rate, Duration::from_secs(1))
    }

    /// Takes a token for a try limited to `count` per `period` (a bucket holding `count`,
    /// refilled evenly over the period), or says how long until one is there.
    pub fn take_per(&self, endpoint: Uuid, count: u32, period: Duration) -> Result<(), Duration> {
        let capacity = f64::from(count.max(1));
        let rate = capacity / period.as_secs_f64().max(0.001);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("pacer lock");
        if buckets.len() > 100_000 {
            buckets.retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(3600));
        }
        let (tokens, at) = buckets.entry(endpoint).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_one_second_of_the_rate_then_paces() {
        let p = Pacer::default();
        let e = Uuid::now_v7();
        for _ in 0..5 {
            assert!(p.take(e, 5).is_ok());
        }
        let wait = p.take(e, 5).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(200),
            "{wait:?}"
        );
        assert!(
            p.take(Uuid::now_v7(), 5).is_ok(),
            "endpoints are paced apart"
        );
    }

    #[test]
    fn a_per_hour_limit_allows_its_count_then_waits_for_a_refill() {
        let p = Pacer::default();
        let e = Uuid::now_v7();
        for _ in 0..3 {
            assert!(p.take_per(e, 3, Duration::from_secs(3600)).is_ok());
        }
        let wait = p.take_per(e, 3, Duration::from_secs(3600)).unwrap_err();
        // One token comes back every 20 minutes.
        assert!(
            wait > Duration::from_secs(1100) && wait <= Duration::from_secs(1200),
            "{wait:?}"
        );
    }
}
