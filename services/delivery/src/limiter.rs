use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

/// Caps the tries in flight per endpoint, so a slow endpoint holds only its own share.
pub struct EndpointLimiter {
    per_endpoint: usize,
    /// Each endpoint's cap and its slots.
    slots: Mutex<HashMap<Uuid, (usize, Arc<Semaphore>)>>,
}

impl EndpointLimiter {
    pub fn new(per_endpoint: usize) -> Self {
        Self {
            per_endpoint,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for the endpoint, waiting at most `wait` for one. A fast endpoint frees slots in
    /// milliseconds, so its jobs queue here briefly; a slow one does not, and its jobs come back
    /// `None` to be put off, so they never hold consumer slots that other endpoints need.
    pub async fn acquire(&self, endpoint: Uuid, wait: Duration) -> Option<OwnedSemaphorePermit> {
        self.acquire_capped(endpoint, self.per_endpoint, wait).await
    }

    /// As `acquire`, with the endpoint's own cap (a gateway destination's `concurrent` rate
    /// limit). A changed cap takes effect for slots taken after it.
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

    fn semaphore(&self, endpoint: Uuid, cap: usize) -> Arc<Semaphore> {
        let mut slots = self.slots.lock().expect("limiter lock");
        if slots.len() > 100_000 {
            // Forget idle endpoints.
            slots.retain(|_, (cap, s)| s.available_permits() < *cap);
        }
        let entry = slots
            .entry(endpoint)
            .or_insert_with(|| (cap, Arc::new(Semaphore::new(cap))));
        if entry.0 != cap {
            *entry = (cap, Arc::new(Semaphore::new(cap)));
        }
        entry.1.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn caps_each_endpoint_separately() {
        let limiter = EndpointLimiter::new(2);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let now = Duration::ZERO;
        let p1 = limiter.acquire(a, now).await.unwrap();
        let _p2 = limiter.acquire(a, now).await.unwrap();
        assert!(limiter.acquire(a, now).await.is_none());
        assert!(limiter.acquire(b, now).await.is_some());
        drop(p1);
        assert!(limiter.acquire(a, now).await.is_some());
    }

    #[tokio::test]
    async fn waits_a_bounded_time_for_a_slot() {
        let limiter = EndpointLimiter::new(1);
        let a = Uuid::now_v7();
        let held = limiter.acquire(a, Duration::ZERO).await.unwrap();
        assert!(limiter
            .acquire(a, Duration::from_millis(20))
            .await
            .is_none());
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            drop(held);
        });
        assert!(limiter.acquire(a, Duration::from_secs(5)).await.is_some());
        release.await.unwrap();
    }
}
