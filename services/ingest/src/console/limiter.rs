use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
const PER_WINDOW: u32 = 10;

/// Failed logins per client address: past 10 in a minute (a fixed window per address) every
/// login from it is refused, the right key too, so API keys cannot be guessed through the
/// form. Successful logins do not count: people behind one address can all log in.
#[derive(Default)]
pub struct LoginLimiter {
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginLimiter {
    /// `Err(seconds until the window ends)` when the address is past the limit.
    pub fn check(&self, addr: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let windows = self.windows.lock().expect("login limiter lock");
        match windows.get(&addr) {
            Some((start, count)) if *count >= PER_WINDOW && now.duration_since(*start) < WINDOW => {
                let left = WINDOW.saturating_sub(now.duration_since(*start));
                Err(left.as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed login.
    pub fn failed(&self, addr: IpAddr) {
        let now = Instant::now();
        let mut windows = self.windows.lock().expect("login limiter lock");
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(addr).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        *count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_a_minute_per_address() {
        let l = LoginLimiter::default();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..10 {
            assert!(l.check(a).is_ok());
            l.failed(a);
        }
        assert!(l.check(a).is_err());
        assert!(l.check("127.0.0.2".parse().unwrap()).is_ok());
    }
}
