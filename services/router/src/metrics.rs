use hookd_telemetry::prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge, Opts, Registry};
use hookd_telemetry::{Hop, HopMetrics};

#[derive(Clone)]
pub struct RouterMetrics {
    pub registry: Registry,
    pub messages_routed: IntCounter,
    pub fanout: Histogram,
    pub jobs_published: IntCounter,
    pub publish_slices: IntCounter,
    pub publish_failures: IntCounter,
    pub messages_relayed: IntCounter,
    pub view_endpoints: IntGauge,
    pub view_reloads: IntCounter,
    pub view_rows_loaded: IntCounter,
    pub route_errors: IntCounter,
    pub filtered_out: IntCounter,
    pub lanes_swept: IntCounter,
    pub queue_depth: IntGauge,
    /// `hookd_hop_seconds` of the hops the router sees.
    pub hops: HopMetrics,
}

impl RouterMetrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| {
            let c = IntCounter::with_opts(Opts::new(name, help)).expect("metric");
            registry.register(Box::new(c.clone())).expect("register");
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::with_opts(Opts::new(name, help)).expect("metric");
            registry.register(Box::new(g.clone())).expect("register");
            g
        };
        let fanout = Histogram::with_opts(
            HistogramOpts::new(
                "hookd_router_fanout_endpoints",
                "Endpoints a message went to.",
            )
            .buckets(vec![
                0.0, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0,
            ]),
        )
        .expect("metric");
        registry
            .register(Box::new(fanout.clone()))
            .expect("register");
        Self {
            messages_routed: counter("hookd_router_messages_routed_total", "Messages fanned out."),
            jobs_published: counter("hookd_router_jobs_published_total", "Delivery jobs published."),
            publish_slices: counter(
                "hookd_router_publish_slices_total",
                "Slices fan-outs published their jobs in, each within the job budget \
                 (router.publish_budget_bytes) and awaited before the next.",
            ),
            publish_failures: counter(
                "hookd_router_publish_failures_total",
                "Delivery jobs whose publish failed (the retry scheduler sends them after their lease).",
            ),
            messages_relayed: counter(
                "hookd_router_messages_relayed_total",
                "Stored messages published again by the relay.",
            ),
            view_endpoints: gauge("hookd_router_view_endpoints", "Endpoints in the routing view."),
            view_reloads: counter("hookd_router_view_reloads_total", "Routing view reloads."),
            view_rows_loaded: counter(
                "hookd_router_view_rows_loaded_total",
                "Endpoint rows read by routing view reloads (only changed rows after the first).",
            ),
            route_errors: counter(
                "hookd_router_errors_total",
                "Messages put back on the queue because a dependency failed.",
            ),
            filtered_out: counter(
                "hookd_router_filtered_out_total",
                "Endpoints a message matched by event type and version but not by their filter.",
            ),
            lanes_swept: counter(
                "hookd_router_lane_sweep_promoted_total",
                "Fifo deliveries the lane sweep sent (a promotion lost to a crash, or held back \
                 until an older message was routed).",
            ),
            queue_depth: gauge("hookd_router_queue_depth", "Messages waiting in the router's queue."),
            fanout,
            hops: HopMetrics::register(&registry, &[Hop::ToRouter, Hop::Fanout, Hop::Publish]),
            registry,
        }
    }
}

impl Default for RouterMetrics {
    fn default() -> Self {
        Self::new()
    }
}
