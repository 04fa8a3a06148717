//! The fast path to the router: the envelopes of committed sends and inbound requests, handed
//! to a coalescer each (`hookd_bus::Coalescer`), so that under load one broker message carries
//! many. Whatever is not published (the broker failed, or the queue is full because it is slow
//! or down) the router's relay finds unrouted and sends.

use crate::events::PublishSkipped;
use hookd_bus::envelopes::{MessageAccepted, RequestAccepted};
use hookd_bus::{Coalescer, CoalescerLimits, Publisher, Route};
use hookd_telemetry::prometheus::IntCounter;
use std::sync::Arc;

/// Message envelopes to `Route::Messages`; a failure counts on `failures`.
pub fn messages(publisher: Arc<Publisher>, failures: IntCounter) -> Coalescer<MessageAccepted> {
    let failed = move |e: &MessageAccepted, error: &hookd_bus::BusError| {
        PublishSkipped::Failed {
            id: &e.message_id,
            error,
        }
        .emit(&failures)
    };
    Coalescer::start(
        publisher,
        Route::Messages,
        CoalescerLimits::default(),
        Arc::new(failed),
    )
}

/// Request envelopes to `Route::Requests`; a failure counts on `failures`.
pub fn requests(publisher: Arc<Publisher>, failures: IntCounter) -> Coalescer<RequestAccepted> {
    let failed = move |e: &RequestAccepted, error: &hookd_bus::BusError| {
        PublishSkipped::Failed {
            id: &e.request_id,
            error,
        }
        .emit(&failures)
    };
    Coalescer::start(
        publisher,
        Route::Requests,
        CoalescerLimits::default(),
        Arc::new(failed),
    )
}
