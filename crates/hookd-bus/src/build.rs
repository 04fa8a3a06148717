//! Building envelopes from domain records, so every publisher renders them alike.

use crate::envelopes::{DeliveryJob, MessageAccepted};
use hookd_domain::{EndpointRoute, Message, WebhookBody};
use prost::Message as _;
use uuid::Uuid;

/// The body an endpoint receives for `message`.
pub fn webhook_body(message: &Message) -> Vec<u8> {
    let body = WebhookBody {
        id: message.id,
        event_type: &message.event_type,
        version: &message.version,
        event_id: message.event_id.as_deref(),
        created_at: message.created_at,
        data: &message.data,
    };
    serde_json::to_vec(&body).expect("body serialises")
}

/// The `MessageAccepted` envelope of a stored message, its body rendered once here.
pub fn message_accepted(
    message: &Message,
    app_id: Uuid,
    endpoint_id: Option<Uuid>,
    task_id: Option<Uuid>,
) -> Vec<u8> {
    MessageAccepted {
        message_id: message.id.to_string(),
        app_id: app_id.to_string(),
        event_type: message.event_type.clone(),
        version: message.version.clone(),
        payload: webhook_body(message),
        endpoint_id: endpoint_id.map(|e| e.to_string()),
        task_id: task_id.map(|t| t.to_string()),
        accepted_at_micros: message.created_at.timestamp_micros(),
    }
    .encode_to_vec()
}

/// The message side of a delivery job.
#[derive(Debug, Clone, Copy)]
pub struct JobMessage<'a> {
    pub id: Uuid,
    /// The body the endpoint receives (`webhook_body`).
    pub payload: &'a [u8],
    /// When ingest accepted the message, for end-to-end latency.
    pub accepted_at_micros: i64,
    pub task_id: Option<Uuid>,
}

/// Which try of which delivery a job is.
#[derive(Debug, Clone, Copy)]
pub struct JobTry {
    pub delivery_id: Uuid,
    /// 1 for the first.
    pub attempt: u32,
    /// Asked for by someone (a retry route): goes past an open circuit as its probe.
    pub explicit: bool,
}

/// The one builder of a `DeliveryJob`: try `t` from `message` to `endpoint`. The router's
/// fan-out and the delivery scheduler both call it. The job carries ids, the URL and the
/// payload, never a secret or a custom header.
pub fn delivery_job(t: JobTry, message: &JobMessage<'_>, endpoint: &EndpointRoute) -> Vec<u8> {
    DeliveryJob {
        delivery_id: t.delivery_id.to_string(),
        message_id: message.id.to_string(),
        endpoint_id: endpoint.id.to_string(),
        url: endpoint.url.clone(),
        payload: message.payload.to_vec(),
        attempt: t.attempt,
        accepted_at_micros: message.accepted_at_micros,
        task_id: message.task_id.map(|t| t.to_string()),
        rate_limit: endpoint.rate_limit.and_then(|r| u32::try_from(r).ok()),
        endpoint_revision: endpoint.revision,
        explicit: t.explicit,
    }
    .encode_to_vec()
}
