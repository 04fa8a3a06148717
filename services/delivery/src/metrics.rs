use hookd_telemetry::prometheus::{
    Histogram, HistogramOpts, IntCounter, IntCounterVec, Opts, Registry,
};
use hookd_telemetry::{Hop, HopMetrics};

#[derive(Clone)]
pub struct DeliveryMetrics {
    pub registry: Registry,
    pub attempts: IntCounterVec,
    pub deliveries: IntCounterVec,
    pub attempt_duration: Histogram,
    pub end_to_end: Histogram,
    pub retries_scheduled: IntCounter,
    pub endpoints_disabled: IntCounter,
    pub postponed: IntCounter,
    pub jobs_scheduled: IntCounter,
    pub circuits_opened: IntCounter,
    pub unsigned_refused: IntCounter,
    pub redelivered_skipped: IntCounter,
    /// `hookd_hop_seconds` of the hops the worker sees.
    pub hops: HopMetrics,
}

impl DeliveryMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let reg = |c: Box<dyn hookd_telemetry::prometheus::core::Collector>| {
            registry.register(c).expect("register metric")
        };
        let attempts = IntCounterVec::new(
            Opts::new("hookd_delivery_attempts_total", "HTTP tries, by outcome."),
            &["outcome"],
        )
        .expect("metric");
        reg(Box::new(attempts.clone()));
        // Exported from the start (at zero), so dashboards and alerts see every series.
        for outcome in ["success", "failure"] {
            attempts.with_label_values(&[outcome]);
        }
        let deliveries = IntCounterVec::new(
            Opts::new(
                "hookd_delivery_deliveries_total",
                "Deliveries that ended, by status.",
            ),
            &["status"],
        )
        .expect("metric");
        reg(Box::new(deliveries.clone()));
        for status in ["succeeded", "failed"] {
            deliveries.with_label_values(&[status]);
        }
        let attempt_duration = Histogram::with_opts(
            HistogramOpts::new(
                "hookd_delivery_attempt_duration_seconds",
                "Duration of one HTTP try.",
            )
            .buckets(hookd_telemetry::LATENCY_BUCKETS.to_vec()),
        )
        .expect("metric");
        reg(Box::new(attempt_duration.clone()));
        let end_to_end = Histogram::with_opts(
            HistogramOpts::new(
                "hookd_delivery_end_to_end_seconds",
                "From the message's acceptance to its endpoint's 2xx.",
            )
            .buckets(hookd_telemetry::LATENCY_BUCKETS.to_vec()),
        )
        .expect("metric");
        reg(Box::new(end_to_end.clone()));
        let counter = |name: &str, help: &str| {
            let c = IntCounter::with_opts(Opts::new(name, help)).expect("metric");
            reg(Box::new(c.clone()));
            c
        };
        Self {
            retries_scheduled: counter(
                "hookd_delivery_retries_scheduled_total",
                "Failed tries with a retry scheduled.",
            ),
            endpoints_disabled: counter(
                "hookd_delivery_endpoints_disabled_total",
                "Endpoints disabled by hookd (410 Gone).",
            ),
            postponed: counter(
                "hookd_delivery_postponed_total",
                "Jobs put off because their endpoint had its in-flight cap busy.",
            ),
            circuits_opened: counter(
                "hookd_delivery_circuits_opened_total",
                "Endpoint circuits opened after consecutive failures.",
            ),
            unsigned_refused: counter(
                "hookd_delivery_unsigned_refused_total",
                "Tries not sent because the endpoint's signing secret could not be opened \
                 (a wrong or missing encryption key): each is a failed attempt.",
            ),
            redelivered_skipped: counter(
                "hookd_delivery_redelivered_skipped_total",
                "Jobs the broker handed out again (a link died before the ack) whose try was \
                 already recorded: acked, not sent twice.",
            ),
            jobs_scheduled: counter(
                "hookd_delivery_jobs_scheduled_total",
                "Due deliveries republished by the scheduler.",
            ),
            hops: HopMetrics::register(
                &registry,
                &[Hop::ToDelivery, Hop::BeforeTry, Hop::Try, Hop::Record],
            ),
            attempts,
            deliveries,
            attempt_duration,
            end_to_end,
            registry,
        }
    }
}

impl Default for DeliveryMetrics {
    fn default() -> Self {
        Self::new()
    }
}
