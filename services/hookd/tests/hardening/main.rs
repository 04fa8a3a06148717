//! Hardening (issue 7): SSRF guard, rate limits, graceful shutdown.

#[path = "../it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod circuit;
mod explicit_retry;
mod job_secrets;
mod keys;
mod pacing;
mod ratelimit;
mod shutdown;
mod ssrf;
