//! What every service shares for being watched and stopped: JSON logs, spans exported over
//! OTLP when configured, a Prometheus registry, `/healthz` `/readyz` `/metrics`, and the
//! shutdown signal.

mod exit;
mod health;
mod hops;
mod logs;
mod otlp;
mod shutdown;
mod trace_ids;

pub use exit::exit_code;
pub use health::{metrics_text, HealthServer, Readiness};
pub use hops::{Hop, HopMetrics, HOP_BUCKETS};
pub use logs::{init, init_tracing, init_with_writer, Telemetry, TelemetryConfig};
pub use otlp::{traces_url, OtlpError};
pub use prometheus;
pub use shutdown::shutdown_on_signal;

/// Buckets for latencies from a fraction of a millisecond to a minute.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];
