//! The router's hot-path events, one struct each: `emit()` counts and logs in one place, so a
//! metric cannot be forgotten on one code path (vector's `internal_events` habit).

use crate::metrics::RouterMetrics;
use hookd_telemetry::Hop;

/// Unix µs at each step of one message's way through the router.
#[derive(Debug, Clone, Copy)]
pub struct RouterStamps {
    /// When ingest accepted the message (from its envelope).
    pub accepted: i64,
    pub consumed: i64,
    /// Its deliveries recorded.
    pub recorded: i64,
    /// Every job's publish confirmed (or failed).
    pub published: i64,
}

/// One message fanned out: its deliveries recorded and their jobs published.
pub struct MessageRouted<'a> {
    pub message_id: &'a str,
    pub matched: usize,
    pub created: usize,
    /// Endpoints left out by their payload filter.
    pub filtered_out: usize,
    /// Slices its jobs were published in, one after the other (within the job budget).
    pub slices: usize,
    pub stamps: RouterStamps,
}

impl MessageRouted<'_> {
    pub fn emit(&self, metrics: &RouterMetrics) {
        let s = self.stamps;
        metrics.messages_routed.inc();
        metrics.fanout.observe(self.matched as f64);
        metrics.filtered_out.inc_by(self.filtered_out as u64);
        metrics.publish_slices.inc_by(self.slices as u64);
        metrics
            .hops
            .observe_micros(Hop::ToRouter, s.consumed - s.accepted);
        metrics
            .hops
            .observe_micros(Hop::Fanout, s.recorded - s.consumed);
        // A message routed before (a redelivery) publishes nothing: no publish hop.
        if self.created > 0 {
            metrics
                .hops
                .observe_micros(Hop::Publish, s.published - s.recorded);
        }
        tracing::debug!(
            message_id = self.message_id,
            matched = self.matched,
            created = self.created,
            slices = self.slices,
            to_router_us = s.consumed - s.accepted,
            fanout_us = s.recorded - s.consumed,
            publish_us = s.published - s.recorded,
            "message routed"
        );
    }
}

/// A delivery job the broker did not confirm: its lease runs out and the retry scheduler
/// sends it again.
pub struct JobPublishFailed<'a> {
    pub error: &'a hookd_bus::BusError,
}

impl JobPublishFailed<'_> {
    pub fn emit(&self, metrics: &RouterMetrics) {
        metrics.publish_failures.inc();
        tracing::warn!(error = %self.error, "delivery job publish failed; the lease will expire and resend it");
    }
}

/// Routing failed on a dependency: the message goes back on the queue.
pub struct RouteFailed<'a> {
    pub message_id: &'a str,
    pub error: &'a hookd_db::DbError,
}

impl RouteFailed<'_> {
    pub fn emit(&self, metrics: &RouterMetrics) {
        metrics.route_errors.inc();
        tracing::warn!(message_id = self.message_id, error = %self.error, "routing failed; requeueing");
    }
}
