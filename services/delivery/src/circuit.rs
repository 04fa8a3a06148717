//! Circuit breaking per endpoint: after `failures` consecutive failed tries the endpoint's
//! circuit opens and its jobs wait; after the cooldown one probe goes through, and its result
//! closes the circuit or opens it again. State is per delivery process: each replica learns on
//! its own, which keeps the hot path free of shared writes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, Default)]
struct Circuit {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    /// When the probe in flight went out; a probe whose answer never came (its job was
    /// requeued) is forgotten after a cooldown.
    probing: Option<Instant>,
}

/// Whether a try may go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Pass,
    /// The one try let through an open circuit after its cooldown.
    Probe,
    /// The circuit is open: wait this long.
    Wait(Duration),
}

/// What a try's result changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    None,
    /// The first failure after a success.
    StartedFailing,
    /// A success after failures.
    Recovered,
    /// The circuit opened (or opened again after a failed probe).
    Opened,
}

pub struct Circuits {
    failures: u32,
    cooldown: Duration,
    /// How long a probe's answer can take (the try timeout): the jobs behind it wait that long.
    probe_answer: Duration,
    map: Mutex<HashMap<Uuid, Circuit>>,
}

impl Circuits {
    pub fn new(failures: u32, cooldown: Duration) -> Self {
        Self {
            failures: failures.max(1),
            cooldown,
            probe_answer: Duration::from_secs(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Jobs behind a probe wait up to `timeout` for its answer, rather than come back every
    /// second while it hangs (each time a write and a publish per job of the backlog).
    pub fn probes_answered_within(mut self, timeout: Duration) -> Self {
        self.probe_answer = timeout;
        self
    }

    pub fn gate(&self, endpoint: Uuid) -> Gate {
        let mut map = self.map.lock().expect("circuit lock");
        let Some(c) = map.get_mut(&endpoint) else {
            return Gate::Pass;
        };
        match c.open_until {
            None => Gate::Pass,
            Some(until) => {
                let now = Instant::now();
                if now < until {
                    Gate::Wait(until - now)
                } else if let Some(age) = c
                    .probing
                    .map(|at| at.elapsed())
                    .filter(|age| *age < self.cooldown)
                {
                    // A probe is out; the others wait for its answer (at least a second).
                    let answer = self.probe_answer.saturating_sub(age);
                    Gate::Wait(answer.max(Duration::from_secs(1)).min(self.cooldown))
                } else {
                    c.probing = Some(now);
                    Gate::Probe
                }
            }
        }
    }

    /// The gate of a try someone asked for: it never waits; through an open circuit it is
    /// the probe, whose answer closes the circuit or opens it again.
    pub fn probe_now(&self, endpoint: Uuid) -> Gate {
        let mut map = self.map.lock().expect("circuit lock");
        match map.get_mut(&endpoint) {
            Some(c) if c.open_until.is_some() => {
                c.probing = Some(Instant::now());
                Gate::Probe
            }
            _ => Gate::Pass,
        }
    }

    pub fn record(&self, endpoint: Uuid, success: bool) -> Transition {
        let mut map = self.map.lock().expect("circuit lock");
        if success {
            return match map.remove(&endpoint) {
                Some(c) if c.consecutive_failures > 0 => Transition::Recovered,
                _ => Transition::None,
            };
        }
        if map.len() > 100_000 {
            // Keep memory bounded: forget closed circuits.
            map.retain(|_, c| c.open_until.is_some());
        }
        let c = map.entry(endpoint).or_default();
        c.consecutive_failures += 1;
        let was_probing = c.probing.take().is_some();
        if c.consecutive_failures >= self.failures && (c.open_until.is_none() || was_probing) {
            c.open_until = Some(Instant::now() + self.cooldown);
            return Transition::Opened;
        }
        if c.consecutive_failures == 1 {
            Transition::StartedFailing
        } else {
            Transition::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_and_probes_after_the_cooldown() {
        // The cooldown bounds the gaps between adjacent statements that must not see it end
        // (a loaded CI can stall a thread for tens of milliseconds), and is slept past.
        let c = Circuits::new(3, Duration::from_millis(500));
        let e = Uuid::now_v7();
        assert_eq!(c.record(e, false), Transition::StartedFailing);
        assert_eq!(c.record(e, false), Transition::None);
        assert_eq!(c.gate(e), Gate::Pass);
        assert_eq!(c.record(e, false), Transition::Opened);
        assert!(matches!(c.gate(e), Gate::Wait(_)));
        std::thread::sleep(Duration::from_millis(550));
        assert_eq!(c.gate(e), Gate::Probe);
        assert!(matches!(c.gate(e), Gate::Wait(_)), "one probe at a time");
        assert_eq!(
            c.record(e, false),
            Transition::Opened,
            "a failed probe opens it again"
        );
        std::thread::sleep(Duration::from_millis(550));
        assert_eq!(c.gate(e), Gate::Probe);
        assert_eq!(c.record(e, true), Transition::Recovered);
        assert_eq!(c.gate(e), Gate::Pass);
        assert_eq!(c.record(e, true), Transition::None);
    }

    #[test]
    fn an_explicit_try_probes_an_open_circuit_at_once() {
        let c = Circuits::new(1, Duration::from_secs(60));
        let e = Uuid::now_v7();
        assert_eq!(c.probe_now(e), Gate::Pass, "a closed circuit just passes");
        assert_eq!(c.record(e, false), Transition::Opened);
        assert!(matches!(c.gate(e), Gate::Wait(_)));
        assert_eq!(c.probe_now(e), Gate::Probe, "no waiting for the cooldown");
        assert!(matches!(c.gate(e), Gate::Wait(_)), "others still wait");
        assert_eq!(c.record(e, true), Transition::Recovered);
        assert_eq!(c.gate(e), Gate::Pass);
    }

    #[test]
    fn jobs_behind_a_probe_wait_for_its_answer() {
        let c = Circuits::new(1, Duration::from_millis(100))
            .probes_answered_within(Duration::from_secs(20));
        let e = Uuid::now_v7();
        assert_eq!(c.record(e, false), Transition::Opened);
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(c.gate(e), Gate::Probe);
        // The cooldown bounds the wait: the probe is forgotten after it.
        assert!(matches!(c.gate(e), Gate::Wait(d) if d <= Duration::from_millis(100)));
        let c = Circuits::new(1, Duration::from_secs(60))
            .probes_answered_within(Duration::from_secs(20));
        assert_eq!(c.record(e, false), Transition::Opened);
        assert_eq!(c.probe_now(e), Gate::Probe);
        match c.gate(e) {
            Gate::Wait(d) => assert!(d > Duration::from_secs(15), "waited {d:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn endpoints_have_their_own_circuits() {
        let c = Circuits::new(1, Duration::from_secs(60));
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(c.record(a, false), Transition::Opened);
        assert!(matches!(c.gate(a), Gate::Wait(_)));
        assert_eq!(c.gate(b), Gate::Pass);
    }
}
