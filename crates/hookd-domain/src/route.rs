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

impl EndpointRoute {
    /// Whether the endpoint subscribes to messages of this event type and version, enabled or
    /// not: the router (which also wants it enabled) and replay_missing ask the same question.
    pub fn subscribes_to(&self, event_type: &str, version: &str) -> bool {
        self.version == version && self.event_types.iter().any(|t| t == event_type)
    }

    /// Whether its payload filter passes a message, given the message's filter input
    /// (`hookd_filter::message_input`; `None` when the payload could not be read, which only
    /// an endpoint without a filter takes).
    pub fn filter_passes(&self, input: Option<&serde_json::Value>) -> bool {
        match (&self.filter, input) {
            (None, _) => true,
            (Some(f), Some(input)) => f.matches(input),
            (Some(_), None) => false,
        }
    }
}
