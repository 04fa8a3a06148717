//! `hookd_gateway_*` metrics of ingest: inbound requests at source URLs, and events marked for
//! a retry (manual or bulk).

use hookd_telemetry::prometheus::{IntCounter, IntCounterVec, Opts, Registry};

#[derive(Clone)]
pub struct GatewayMetrics {
    pub requests_accepted: IntCounter,
    pub requests_rejected: IntCounterVec,
    pub retries_marked: IntCounterVec,
    pub publish_failures: IntCounter,
}

impl GatewayMetrics {
    /// The metrics, registered in `registry` (ingest's).
    pub fn register(registry: &Registry) -> Self {
        let requests_accepted = IntCounter::with_opts(Opts::new(
            "hookd_gateway_requests_accepted_total",
            "Requests at source URLs answered 200 (stored durably).",
        ))
        .expect("metric");
        let requests_rejected = IntCounterVec::new(
            Opts::new(
                "hookd_gateway_requests_rejected_total",
                "Requests at source URLs refused, by rejection cause (stored with it).",
            ),
            &["cause"],
        )
        .expect("metric");
        // Exported from the start (at zero), so dashboards and alerts see every series.
        for cause in [
            "SOURCE_DISABLED",
            "UNSUPPORTED_HTTP_METHOD",
            "VERIFICATION_FAILED",
            "PAYLOAD_TOO_LARGE",
        ] {
            requests_rejected.with_label_values(&[cause]);
        }
        let retries_marked = IntCounterVec::new(
            Opts::new(
                "hookd_gateway_retries_marked_total",
                "Events marked due for a retry by the API, by trigger (MANUAL, BULK_RETRY).",
            ),
            &["trigger"],
        )
        .expect("metric");
        for trigger in ["MANUAL", "BULK_RETRY"] {
            retries_marked.with_label_values(&[trigger]);
        }
        registry
            .register(Box::new(retries_marked.clone()))
            .expect("register metric");
        registry
            .register(Box::new(requests_accepted.clone()))
            .expect("register metric");
        registry
            .register(Box::new(requests_rejected.clone()))
            .expect("register metric");
        let publish_failures = IntCounter::with_opts(Opts::new(
            "hookd_gateway_publish_failures_total",
            "Accepted requests whose bus publish failed or was skipped (the relay sends them).",
        ))
        .expect("metric");
        registry
            .register(Box::new(publish_failures.clone()))
            .expect("register metric");
        Self {
            requests_accepted,
            requests_rejected,
            retries_marked,
            publish_failures,
        }
    }
}
