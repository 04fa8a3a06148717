use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

/// The shortest a job put off waits.
const MIN_TURN: Duration = Duration::from_secs(1);

/// Caps the tries in flight per endpoint, so a slow endpoint holds only its own share. Jobs that
/// find their endpoint at its cap are held here (unacked, in memory) up to a bound per endpoint
/// and in all; the rest are put off, each to its turn at the endpoint's pace, so a slow
/// endpoint's backlog comes back as fast as it can take it rather than all at once.
pub struct EndpointLimiter {
    per_endpoint: usize,
    /// Jobs one endpoint may hold waiting for a slot.
    hold_per_endpoint: usize,
    /// Jobs all endpoints together may hold: what a few stuck endpoints can take of the prefetch.
    held_total: Arc<Semaphore>,
    /// Each endpoint's cap and its slots.
    slots: Mutex<HashMap<Uuid, Slots>>,
}

struct Slots {
    cap: usize,
    semaphore: Arc<Semaphore>,
    held: usize,
    /// A moving mean of its tries' durations, `None` before the first ends.
    mean_try: Option<Duration>,
    /// When the last job put off gets its turn: the next one goes after it.
    turns_until: Option<Instant>,
}

impl Slots {
    fn new(cap: usize) -> Self {
        Self {
            cap,
            semaphore: Arc::new(Semaphore::new(cap)),
            held: 0,
            mean_try: None,
            turns_until: None,
        }
    }
}

/// A slot for one try, freed when dropped.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
    endpoint: Uuid,
    limiter: Arc<EndpointLimiter>,
}

impl Slot {
    /// Teaches the endpoint's pace from the try this slot made (a job turned back by its
    /// circuit made none, and says nothing of it).
    pub fn tried(&self, took: Duration) {
        self.limiter.observe(self.endpoint, took);
    }
}

/// Returns a hold to both counts when the held job leaves (slot, put off, or dropped).
struct Hold<'a> {
    limiter: &'a EndpointLimiter,
    endpoint: Uuid,
    _total: OwnedSemaphorePermit,
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        let mut slots = self.limiter.slots.lock().expect("limiter lock");
        if let Some(s) = slots.get_mut(&self.endpoint) {
            s.held = s.held.saturating_sub(1);
        }
    }
}

impl EndpointLimiter {
    /// `hold_per_endpoint` and `hold_total` bound the jobs held waiting for a slot.
    pub fn new(per_endpoint: usize, hold_per_endpoint: usize, hold_total: usize) -> Arc<Self> {
        Arc::new(Self {
            per_endpoint,
            hold_per_endpoint,
            held_total: Arc::new(Semaphore::new(hold_total)),
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for the endpoint: at once, within `wait`, or held up to `hold` when the bounds
    /// leave room. `Err` is how long to put the job off: its turn behind the jobs held and put
    /// off before it, at the endpoint's pace (`worst_try` until a try has ended), at most `most`.
    pub async fn acquire_or_hold(
        self: &Arc<Self>,
        endpoint: Uuid,
        wait: Duration,
        hold: Duration,
        worst_try: Duration,
        most: Duration,
    ) -> Result<Slot, Duration> {
        let cap = self.per_endpoint;
        self.acquire_or_hold_capped(endpoint, cap, wait, hold, worst_try, most)
            .await
    }

    /// As `acquire_or_hold`, with the endpoint's own cap (a gateway destination's `concurrent`
    /// rate limit). A changed cap takes effect for slots taken after it.
    pub async fn acquire_or_hold_capped(
        self: &Arc<Self>,
        endpoint: Uuid,
        cap: usize,
        wait: Duration,
        hold: Duration,
        worst_try: Duration,
        most: Duration,
    ) -> Result<Slot, Duration> {
        let semaphore = self.semaphore(endpoint, cap.max(1));
        let slot = |permit| Slot {
            _permit: permit,
            endpoint,
            limiter: self.clone(),
        };
        if let Ok(Ok(permit)) = tokio::time::timeout(wait, semaphore.clone().acquire_owned()).await
        {
            return Ok(slot(permit));
        }
        let Some(held) = self.hold(endpoint) else {
            return Err(self.turn(endpoint, worst_try, most));
        };
        let got = tokio::time::timeout(hold, semaphore.acquire_owned()).await;
        drop(held);
        match got {
            Ok(Ok(permit)) => Ok(slot(permit)),
            _ => Err(self.turn(endpoint, worst_try, most)),
        }
    }

    /// A slot for the endpoint, waiting at most `wait` for one. A fast endpoint frees slots in
    /// milliseconds, so its jobs queue here briefly; a slow one does not, and its jobs come back
    /// `None` to be put off, so they never hold consumer slots that other endpoints need.
    #[cfg(test)]
    pub async fn acquire(&self, endpoint: Uuid, wait: Duration) -> Option<OwnedSemaphorePermit> {
        self.acquire_capped(endpoint, self.per_endpoint, wait).await
    }

    /// As `acquire`, with the endpoint's own cap.
    #[cfg(test)]
    pub async fn acquire_capped(
        &self,
        endpoint: Uuid,
        cap: usize,
        wait: Duration,
    ) -> Option<OwnedSemaphorePermit> {
        let semaphore = self.semaphore(endpoint, cap.max(1));
        if let Ok(permit) = semaphore.clone().try_acquire_owned() {
            return Some(permit);
        }
        tokio::time::timeout(wait, semaphore.acquire_owned())
            .await
            .ok()?
            .ok()
    }

    /// A place among the held jobs, when both bounds leave one.
    fn hold(&self, endpoint: Uuid) -> Option<Hold<'_>> {
        let mut slots = self.slots.lock().expect("limiter lock");
        let s = slots.get_mut(&endpoint)?;
        if s.held >= self.hold_per_endpoint {
            return None;
        }
        let total = self.held_total.clone().try_acquire_owned().ok()?;
        s.held += 1;
        Some(Hold {
            limiter: self,
            endpoint,
            _total: total,
        })
    }

    /// When a job put off now should come back: after the tries in flight and the jobs held
    /// and put off before it, `cap` at a time, each round a try's length.
    pub fn turn(&self, endpoint: Uuid, worst_try: Duration, most: Duration) -> Duration {
        let mut slots = self.slots.lock().expect("limiter lock");
        let now = Instant::now();
        let Some(s) = slots.get_mut(&endpoint) else {
            return worst_try.min(most);
        };
        let round = s.mean_try.unwrap_or(worst_try);
        let cap = s.cap.max(1) as u32;
        // The held jobs and those in flight go first.
        let ahead = now + round * (s.held as u32 / cap + 1);
        let start = s.turns_until.filter(|t| *t > ahead).unwrap_or(ahead);
        // A fast endpoint's turn may be milliseconds away: a job put off costs a write and a
        // publish, which a second's wait repays.
        let mine = (start + round / cap).max(now + MIN_TURN).min(now + most);
        s.turns_until = Some(mine);
        mine - now
    }

    /// Learns the endpoint's pace from a try that ended.
    fn observe(&self, endpoint: Uuid, took: Duration) {
        let mut slots = self.slots.lock().expect("limiter lock");
        if let Some(s) = slots.get_mut(&endpoint) {
            s.mean_try = Some(match s.mean_try {
                None => took,
                Some(mean) => (mean * 7 + took) / 8,
            });
            if s.turns_until.is_some_and(|t| t <= Instant::now()) {
                s.turns_until = None;
            }
        }
    }

    fn semaphore(&self, endpoint: Uuid, cap: usize) -> Arc<Semaphore> {
        let mut slots = self.slots.lock().expect("limiter lock");
        if slots.len() > 100_000 {
            // Forget idle endpoints.
            slots.retain(|_, s| s.semaphore.available_permits() < s.cap || s.held > 0);
        }
        let entry = slots.entry(endpoint).or_insert_with(|| Slots::new(cap));
        if entry.cap != cap {
            let held = entry.held;
            *entry = Slots::new(cap);
            entry.held = held;
        }
        entry.semaphore.clone()
    }
}

#[cfg(test)]
#[path = "limiter_tests.rs"]
mod tests;
