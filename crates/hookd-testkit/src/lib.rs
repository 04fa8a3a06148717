//! What hookd's tests and benchmarks need from outside hookd: a webhook receiver (HTTP or
//! HTTPS, with certificates made per test) that records what it gets, a small JSON client for
//! the API, and a TCP proxy that cuts links on demand.

mod client;
mod metrics;
mod proxy;
mod receiver;
mod tls;

pub use client::{ApiClient, ApiResponse};
pub use metrics::{metric_sum, scrape};
pub use proxy::{through, upstream_of, FaultProxy};
pub use receiver::{Behavior, Gate, Received, Receiver};
pub use tls::TestPki;
