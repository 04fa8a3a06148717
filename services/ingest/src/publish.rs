//! The fast path to the router: the envelopes of committed sends and inbound requests, handed
//! to a coalescer each (`hookd_bus::Coalescer`), so that under load one broker message carries
//! many. Whatever is not published (the broker failed, or the queue is full because it is slow
//! or down) the router's relay finds unrouted and sends.

use crate::events::PublishSkipped;
use hookd_bus::{Batchable, Coalescer, CoalescerLimits, Publisher, Route};
use hookd_telemetry::prometheus::IntCounter;
use std::sync::Arc;

/// Envelopes to `route` (messages or requests); a failed publish counts on `failures`.
pub fn coalescer<T: Batchable>(
    publisher: Arc<Publisher>,
    route: Route,
    failures: IntCounter,
) -> Coalescer<T> {
    let failed = move |e: &T, error: &hookd_bus::BusError| {
        PublishSkipped::Failed { id: e.id(), error }.emit(&failures)
    };
    Coalescer::start(
        publisher,
        route,
        CoalescerLimits::default(),
        Arc::new(failed),
    )
}
