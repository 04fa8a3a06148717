//! A bound on the delivery jobs a service holds at once, counted in bytes: a job is charged
//! from before it is built until the broker confirms it (or its publish fails), so the jobs in
//! memory (and lapin's frames and the publish futures that carry them) never pass the budget
//! however many envelopes the consumers hold or however wide one fans out (issue 13: the
//! router held 200 prefetched messages x 100 jobs at once in S3, 109 MiB).

use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What one job in flight costs besides its payload: the encoded ids, URL and trace context,
/// the publish future and its confirm timer, lapin's frames and confirm entry, and the
/// allocator's share. Measured: the router's peak RSS in S3 (100-endpoint fan-outs) grew by
/// ~7.7 KiB per job the budget let in flight (1 MiB against 8 MiB of budget at 2 KiB a job).
pub const JOB_OVERHEAD_BYTES: usize = 8192;

/// Jobs one slice holds at most, whatever their size: one caller (a message fanning out to
/// thousands of endpoints) takes a slice, publishes it and waits for its confirms before the
/// next, so the others' slices interleave with its own.
pub const MAX_SLICE: usize = 128;

/// Shared by every consumer of one process (clones share the bytes).
#[derive(Clone, Debug)]
pub struct JobBudget {
    permits: Arc<Semaphore>,
    bytes: usize,
}

/// Bytes of the budget held until dropped.
#[derive(Debug)]
pub struct Held {
    _permit: OwnedSemaphorePermit,
}

impl JobBudget {
    /// A budget of `bytes` (at least one job's overhead, at most what a semaphore counts).
    pub fn new(bytes: usize) -> Self {
        let bytes = bytes.clamp(JOB_OVERHEAD_BYTES, u32::MAX as usize);
        Self {
            permits: Arc::new(Semaphore::new(bytes)),
            bytes,
        }
    }

    /// The whole budget.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Bytes free now.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// What a job with a payload of `payload_len` bytes is charged.
    pub fn job_cost(payload_len: usize) -> usize {
        payload_len.saturating_add(JOB_OVERHEAD_BYTES)
    }

    /// The next slice of jobs costing `costs` (in order): how many it takes and what it costs.
    /// At most `MAX_SLICE` jobs and at most the whole budget; a job dearer than the whole budget
    /// goes alone (and is charged the whole budget), so every job can go.
    pub fn next_slice(&self, costs: impl IntoIterator<Item = usize>) -> (usize, usize) {
        let (mut len, mut total) = (0, 0usize);
        for cost in costs.into_iter().take(MAX_SLICE) {
            let sum = total.saturating_add(cost);
            if len > 0 && sum > self.bytes {
                break;
            }
            len += 1;
            total = sum;
        }
        (len, total.min(self.bytes))
    }

    /// Waits (in turn with the other callers) until `cost` bytes are free, capped at the whole
    /// budget, and holds them until the answer is dropped.
    pub async fn reserve(&self, cost: usize) -> Held {
        let n = cost.min(self.bytes) as u32;
        let permit = self
            .permits
            .clone()
            .acquire_many_owned(n)
            .await
            .expect("the budget's semaphore is never closed");
        Held { _permit: permit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn slices_stop_at_the_budget_and_at_max_slice() {
        let budget = JobBudget::new(10 * JOB_OVERHEAD_BYTES);
        let small = JobBudget::job_cost(0);
        assert_eq!(budget.next_slice(vec![small; 25]), (10, 10 * small));
        assert_eq!(budget.next_slice(vec![small; 4]), (4, 4 * small));
        assert_eq!(budget.next_slice(Vec::new()), (0, 0));
        let roomy = JobBudget::new(usize::MAX);
        assert_eq!(roomy.next_slice(vec![small; 1000]).0, MAX_SLICE);
    }

    #[test]
    fn a_job_dearer_than_the_budget_goes_alone_charged_the_budget() {
        let budget = JobBudget::new(4 * JOB_OVERHEAD_BYTES);
        let huge = JobBudget::job_cost(1 << 20);
        assert_eq!(budget.next_slice([huge, huge]), (1, budget.bytes()));
        let small = JobBudget::job_cost(0);
        assert_eq!(budget.next_slice([small, huge]), (1, small));
    }

    #[test]
    fn a_budget_holds_at_least_one_job() {
        assert_eq!(JobBudget::new(0).bytes(), JOB_OVERHEAD_BYTES);
    }

    #[tokio::test]
    async fn a_reservation_waits_until_earlier_ones_are_released() {
        let budget = JobBudget::new(3 * JOB_OVERHEAD_BYTES);
        let first = budget.reserve(2 * JOB_OVERHEAD_BYTES).await;
        assert_eq!(budget.available(), JOB_OVERHEAD_BYTES);
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(2 * JOB_OVERHEAD_BYTES).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "two slices of 2 fit in a budget of 3"
        );
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("released bytes wake the waiter")
            .unwrap();
        assert_eq!(budget.available(), JOB_OVERHEAD_BYTES);
        drop(second);
        // A reservation above the whole budget takes all of it rather than waiting for good.
        let all = budget.reserve(usize::MAX).await;
        assert_eq!(budget.available(), 0);
        drop(all);
        assert_eq!(budget.available(), budget.bytes());
    }
}
