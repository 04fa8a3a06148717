//! Notable events of ingest's publish path, each counted and logged in one place so that a
//! code path cannot do one and forget the other (STYLE.md 9).

use hookd_bus::BusError;
use hookd_telemetry::prometheus::IntCounter;

/// The publish after a commit did not happen; the router's relay sends the envelope later.
pub enum PublishSkipped<'a> {
    /// The broker refused or did not confirm it.
    Failed { id: &'a str, error: &'a BusError },
    /// Too many envelopes were already waiting for a publish (the broker is slow or down).
    Saturated { id: &'a str },
}

impl PublishSkipped<'_> {
    /// Counts it on `failures` (the service's publish-failure counter) and logs it.
    pub fn emit(&self, failures: &IntCounter) {
        failures.inc();
        match self {
            Self::Failed { id, error } => {
                tracing::warn!(id = %id, error = %error, "publish failed; the relay will send it")
            }
            Self::Saturated { id } => {
                tracing::debug!(id = %id, "too many envelopes waiting for a publish; the relay will send it")
            }
        }
    }
}
