use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

/// Caps the tries in flight per endpoint, so a slow endpoint holds only its own share.
pub struct EndpointLimiter {
    per_endpoint: usize,
    slots: Mutex<HashMap<Uuid, Arc<Semaphore>>>,
}

impl EndpointLimiter {
    pub fn new(per_endpoint: usize) -> Self {
        Self {
            per_endpoint,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for the endpoint, or `None` when its cap is reached (the caller puts the job off
    /// instead of waiting, so it never blocks other endpoints' jobs).
    pub fn try_acquire(&self, endpoint: Uuid) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            let mut slots = self.slots.lock().expect("limiter lock");
            if slots.len() > 100_000 {
                // Forget idle endpoints.
                let cap = self.per_endpoint;
                slots.retain(|_, s| s.available_permits() < cap);
            }
            slots
                .entry(endpoint)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_endpoint)))
                .clone()
        };
        semaphore.try_acquire_owned().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_each_endpoint_separately() {
        let limiter = EndpointLimiter::new(2);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let p1 = limiter.try_acquire(a).unwrap();
        let _p2 = limiter.try_acquire(a).unwrap();
        assert!(limiter.try_acquire(a).is_none());
        assert!(limiter.try_acquire(b).is_some());
        drop(p1);
        assert!(limiter.try_acquire(a).is_some());
    }
}
