//! Per-hop latency of a message's path, one histogram `hookd_hop_seconds{hop}` that each
//! service registers and fills with the hops it sees (the bench reads p50/p99 per hop from it).
//! The hops follow each other, so where a message waits shows as the hop that grows.

use prometheus::{HistogramOpts, HistogramVec, Registry};

/// One step of a message's path, in order; each is measured from the end of the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// Accepted by ingest (the message's creation) → consumed by the router: ingest's commit
    /// and publish, and the wait in the router's queue.
    ToRouter,
    /// Consumed → its deliveries recorded (the fan-out batcher's window and statement).
    Fanout,
    /// Recorded → every job's publish confirmed by the broker.
    Publish,
    /// A job handed to the broker → consumed by a delivery worker (overlaps `Publish`'s
    /// confirm wait: a job is routed to its queue before the broker confirms it).
    ToDelivery,
    /// Consumed → the HTTP try starts (signing material, caps, circuit, rate limit).
    BeforeTry,
    /// The HTTP try: request sent → response read.
    Try,
    /// Answered → the attempt recorded (the attempt batcher's window and statement).
    Record,
}

impl Hop {
    pub const ALL: [Hop; 7] = [
        Hop::ToRouter,
        Hop::Fanout,
        Hop::Publish,
        Hop::ToDelivery,
        Hop::BeforeTry,
        Hop::Try,
        Hop::Record,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Hop::ToRouter => "to_router",
            Hop::Fanout => "fanout",
            Hop::Publish => "publish",
            Hop::ToDelivery => "to_delivery",
            Hop::BeforeTry => "before_try",
            Hop::Try => "try",
            Hop::Record => "record",
        }
    }
}

/// Finer than [`crate::LATENCY_BUCKETS`] below 10 ms, where a healthy hop lies.
pub const HOP_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01,
    0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// `hookd_hop_seconds` of one service, its `hops` exported from the start (at zero).
#[derive(Clone)]
pub struct HopMetrics {
    histogram: HistogramVec,
}

impl HopMetrics {
    pub fn register(registry: &Registry, hops: &[Hop]) -> Self {
        let histogram = HistogramVec::new(
            HistogramOpts::new(
                "hookd_hop_seconds",
                "Time a message spends in each hop of its path (see Hop in hookd-telemetry).",
            )
            .buckets(HOP_BUCKETS.to_vec()),
            &["hop"],
        )
        .expect("metric");
        registry
            .register(Box::new(histogram.clone()))
            .expect("register");
        for hop in hops {
            histogram.with_label_values(&[hop.label()]);
        }
        Self { histogram }
    }

    /// Records `micros` (negative, from a clock step, counts as zero).
    pub fn observe_micros(&self, hop: Hop, micros: i64) {
        self.histogram
            .with_label_values(&[hop.label()])
            .observe(micros.max(0) as f64 / 1e6);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hops_are_exported_and_observed_by_label() {
        let registry = Registry::new();
        let hops = HopMetrics::register(&registry, &[Hop::Fanout, Hop::Publish]);
        hops.observe_micros(Hop::Fanout, 1_500);
        hops.observe_micros(Hop::Fanout, -3);
        let text = crate::metrics_text(&registry);
        assert!(
            text.contains("hookd_hop_seconds_count{hop=\"fanout\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("hookd_hop_seconds_count{hop=\"publish\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("hookd_hop_seconds_bucket{hop=\"fanout\",le=\"0.0015\"} 2"),
            "{text}"
        );
    }
}
