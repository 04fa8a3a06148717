//! What hookd's tests and benchmarks need from outside hookd: a webhook receiver that records
//! what it gets, and a small JSON client for the API.

mod client;
mod metrics;
mod receiver;

pub use client::{ApiClient, ApiResponse};
pub use metrics::{metric_sum, scrape};
pub use receiver::{Behavior, Received, Receiver};
