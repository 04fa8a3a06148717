//! How long stored data is kept (issue 17): message payloads and attempt bodies, then the
//! messages' metadata, and how the router's retention pass walks them.

use crate::duration::de_duration;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    /// Days a message's payload (and its attempts' response bodies) are kept, for organizations
    /// without their own `payload_retention_days`; 0 keeps them forever.
    pub payload_days: u32,
    /// Days after which messages, their deliveries and attempts are deleted; 0 keeps them
    /// forever. Never shorter than an organization's payload retention.
    pub metadata_days: u32,
    /// How often the router's retention pass runs (while it finds full batches, again after a
    /// rest as long as the batch took).
    #[serde(deserialize_with = "de_duration")]
    pub interval: Duration,
    /// Rows changed per statement: short transactions that never hold long locks.
    pub batch_size: u32,
}
