use hookd_telemetry::prometheus::{
    self, Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry,
};

/// The ingest service's metrics, in a registry of its own.
#[derive(Clone)]
pub struct IngestMetrics {
    pub registry: Registry,
    pub messages_accepted: IntCounter,
    pub messages_duplicate: IntCounter,
    pub messages_rejected: IntCounterVec,
    pub request_duration: Histogram,
    pub publish_failures: IntCounter,
    /// API keys looked up in the database (cache misses of known and unknown keys).
    pub key_lookups: IntCounter,
    /// cli endpoints' deliveries handed to `hookctl listen`, and its reports by outcome.
    pub cli_handouts: IntCounter,
    pub cli_attempts: IntCounterVec,
    /// Deliveries made due by recover (`kind="recover"`) and replay_missing (`"replay"`).
    pub deliveries_rescheduled: IntCounterVec,
}

impl IngestMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let messages_accepted = IntCounter::with_opts(Opts::new(
            "hookd_ingest_messages_accepted_total",
            "Messages answered 202 (durable).",
        ))
        .expect("metric");
        let messages_duplicate = IntCounter::with_opts(Opts::new(
            "hookd_ingest_messages_duplicate_total",
            "Sends answered with an existing message (same event_id).",
        ))
        .expect("metric");
        let messages_rejected = IntCounterVec::new(
            Opts::new(
                "hookd_ingest_messages_rejected_total",
                "Message sends refused, by status.",
            ),
            &["status"],
        )
        .expect("metric");
        let request_duration = Histogram::with_opts(
            HistogramOpts::new(
                "hookd_ingest_message_duration_seconds",
                "Time from request to answer of message sends.",
            )
            .buckets(hookd_telemetry::LATENCY_BUCKETS.to_vec()),
        )
        .expect("metric");
        let publish_failures = IntCounter::with_opts(Opts::new(
            "hookd_ingest_publish_failures_total",
            "Stored messages whose bus publish failed (the relay sends them later).",
        ))
        .expect("metric");
        let key_lookups = IntCounter::with_opts(Opts::new(
            "hookd_ingest_api_key_lookups_total",
            "API keys looked up in the database (neither cached as known nor as unknown).",
        ))
        .expect("metric");
        let cli_handouts = IntCounter::with_opts(Opts::new(
            "hookd_ingest_cli_handouts_total",
            "Deliveries of cli endpoints handed to a connected hookctl listen.",
        ))
        .expect("metric");
        let cli_attempts = IntCounterVec::new(
            Opts::new(
                "hookd_ingest_cli_attempts_total",
                "Forwards reported by hookctl listen, by outcome (success, failure).",
            ),
            &["outcome"],
        )
        .expect("metric");
        for outcome in ["success", "failure"] {
            cli_attempts.with_label_values(&[outcome]);
        }
        let deliveries_rescheduled = IntCounterVec::new(
            Opts::new(
                "hookd_ingest_deliveries_rescheduled_total",
                "Deliveries made due by an endpoint's recover or replay_missing, by kind.",
            ),
            &["kind"],
        )
        .expect("metric");
        for kind in ["recover", "replay"] {
            deliveries_rescheduled.with_label_values(&[kind]);
        }
        // Exported from the start (at zero), so dashboards and alerts see every series.
        for status in ["400", "401", "404", "413", "422", "429", "500", "503"] {
            messages_rejected.with_label_values(&[status]);
        }
        let all: [Box<dyn prometheus::core::Collector>; 9] = [
            Box::new(cli_handouts.clone()),
            Box::new(cli_attempts.clone()),
            Box::new(deliveries_rescheduled.clone()),
            Box::new(key_lookups.clone()),
            Box::new(messages_accepted.clone()),
            Box::new(messages_duplicate.clone()),
            Box::new(messages_rejected.clone()),
            Box::new(request_duration.clone()),
            Box::new(publish_failures.clone()),
        ];
        for c in all {
            registry.register(c).expect("register metric");
        }
        Self {
            registry,
            messages_accepted,
            messages_duplicate,
            messages_rejected,
            request_duration,
            publish_failures,
            key_lookups,
            cli_handouts,
            cli_attempts,
            deliveries_rescheduled,
        }
    }
}

impl Default for IngestMetrics {
    fn default() -> Self {
        Self::new()
    }
}
