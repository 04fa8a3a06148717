//! What hookd's tests and benchmarks need from outside hookd: a webhook receiver that records
//! what it gets, and a small JSON client for the API.

mod client;
mod receiver;

pub use client::{ApiClient, ApiResponse};
pub use receiver::{Behavior, Received, Receiver};
