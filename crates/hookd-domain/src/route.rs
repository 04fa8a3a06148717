use hookd_filter::MessageFilter;
use std::sync::Arc;
use uuid::Uuid;

/// What routing needs to know of an endpoint, and what its delivery jobs carry: where to send
/// and how fast, but no signing secret and no custom header (the delivery worker opens those
/// itself, so they never ride the broker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRoute {
    pub id: Uuid,
    pub app_id: Uuid,
    pub url: String,
    pub version: String,
    pub enabled: bool,
    pub event_types: Vec<String>,
    pub rate_limit: Option<i32>,
    /// The endpoint's `updated_at` in microseconds: it moves on every change (a rotation, new
    /// headers), so a worker holding older signing material knows to reload it.
    pub revision: i64,
    /// The endpoint's payload filter, parsed once when the router loads the endpoint; `None`
    /// passes every message. Routing only: it never rides a job.
    pub filter: Option<Arc<MessageFilter>>,
    /// `Some` for a fifo endpoint: how the router picks a message's lane. Routing only.
    pub fifo: Option<crate::Fifo>,
}
