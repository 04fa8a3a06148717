use rand::Rng;
use std::time::Duration;

/// The delay before try `attempt + 1` after try `attempt` (1-based) failed, or `None` when
/// the schedule has no more tries. Jitter of ±10% spreads retries of a burst; a `Retry-After`
/// from the endpoint lengthens the delay, up to `max_retry_after`.
pub fn next_delay(
    schedule: &[Duration],
    attempt: u32,
    retry_after: Option<Duration>,
    max_retry_after: Duration,
) -> Option<Duration> {
    let base = *schedule.get(attempt as usize)?;
    let jittered = if base.is_zero() {
        base
    } else {
        base.mul_f64(rand::rng().random_range(0.9..1.1))
    };
    Some(match retry_after {
        Some(ra) => jittered.max(ra.min(max_retry_after)),
        None => jittered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: [Duration; 3] = [
        Duration::ZERO,
        Duration::from_secs(10),
        Duration::from_secs(100),
    ];

    #[test]
    fn follows_the_schedule_with_jitter() {
        let d = next_delay(&S, 1, None, Duration::from_secs(3600)).unwrap();
        assert!(
            d >= Duration::from_secs(9) && d <= Duration::from_secs(11),
            "{d:?}"
        );
        let d = next_delay(&S, 2, None, Duration::from_secs(3600)).unwrap();
        assert!(
            d >= Duration::from_secs(90) && d <= Duration::from_secs(110),
            "{d:?}"
        );
        assert_eq!(next_delay(&S, 3, None, Duration::from_secs(3600)), None);
    }

    #[test]
    fn honours_retry_after_within_bounds() {
        let d = next_delay(
            &S,
            1,
            Some(Duration::from_secs(60)),
            Duration::from_secs(3600),
        )
        .unwrap();
        assert_eq!(d, Duration::from_secs(60));
        let d = next_delay(
            &S,
            1,
            Some(Duration::from_secs(99999)),
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(d <= Duration::from_secs(30), "{d:?}");
    }
}
