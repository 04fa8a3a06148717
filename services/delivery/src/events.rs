//! The delivery worker's hot-path events, one struct each: `emit()` counts and logs in one
//! place, so a metric cannot be forgotten on one code path (vector's `internal_events` habit).

use crate::metrics::DeliveryMetrics;
use crate::worker::Outcome;
use hookd_telemetry::Hop;

/// Unix µs at each step of one job's way through the worker.
#[derive(Debug, Clone, Copy)]
pub struct TryStamps {
    /// When ingest accepted the message (from the job).
    pub accepted: i64,
    /// When the job was handed to the broker (from the job; 0 from older versions).
    pub published: i64,
    pub consumed: i64,
    pub started: i64,
    pub answered: i64,
    /// The attempt recorded.
    pub recorded: i64,
}

/// One HTTP try of a job ended and its attempt is recorded.
pub struct AttemptRecorded<'a> {
    pub delivery_id: &'a str,
    pub attempt: u32,
    pub status: Option<u16>,
    pub outcome: Outcome,
    pub stamps: TryStamps,
}

impl AttemptRecorded<'_> {
    pub fn emit(&self, metrics: &DeliveryMetrics) {
        let s = self.stamps;
        let succeeded = self.outcome == Outcome::Succeeded;
        metrics
            .attempts
            .with_label_values(&[if succeeded { "success" } else { "failure" }])
            .inc();
        match self.outcome {
            Outcome::Succeeded => {
                metrics.deliveries.with_label_values(&["succeeded"]).inc();
                metrics
                    .end_to_end
                    .observe((s.answered - s.accepted).max(0) as f64 / 1e6);
            }
            Outcome::Failed => metrics.deliveries.with_label_values(&["failed"]).inc(),
            Outcome::RetryScheduled => metrics.retries_scheduled.inc(),
            Outcome::Postponed | Outcome::Dropped | Outcome::Parked => {}
        }
        if s.published > 0 {
            metrics
                .hops
                .observe_micros(Hop::ToDelivery, s.consumed - s.published);
        }
        metrics
            .hops
            .observe_micros(Hop::BeforeTry, s.started - s.consumed);
        metrics
            .hops
            .observe_micros(Hop::Try, s.answered - s.started);
        metrics
            .hops
            .observe_micros(Hop::Record, s.recorded - s.answered);
        tracing::debug!(delivery_id = self.delivery_id, attempt = self.attempt,
            status = self.status, outcome = ?self.outcome,
            to_delivery_us = s.consumed - s.published, before_try_us = s.started - s.consumed,
            try_us = s.answered - s.started, record_us = s.recorded - s.answered,
            "attempt recorded");
    }
}

/// A try not sent because the endpoint's signing secret cannot be opened: a failed attempt.
pub struct UnsignedRefused<'a> {
    pub delivery_id: uuid::Uuid,
    pub endpoint_id: uuid::Uuid,
    pub error: &'a dyn std::fmt::Display,
}

impl UnsignedRefused<'_> {
    pub fn emit(&self, metrics: &DeliveryMetrics) {
        metrics.unsigned_refused.inc();
        tracing::error!(delivery_id = %self.delivery_id, endpoint_id = %self.endpoint_id,
            error = %self.error, "cannot sign the webhook; the attempt fails");
    }
}

/// A job put off: its endpoint's cap, circuit or rate limit said wait.
pub struct JobPostponed {
    pub delivery_id: uuid::Uuid,
    pub delay: std::time::Duration,
}

impl JobPostponed {
    pub fn emit(&self, metrics: &DeliveryMetrics) {
        metrics.postponed.inc();
        tracing::debug!(delivery_id = %self.delivery_id, delay_ms = self.delay.as_millis() as u64,
            "job postponed");
    }
}
