//! Building envelopes from domain records, so every publisher renders them alike.

use crate::envelopes::MessageAccepted;
use hookd_domain::{Message, WebhookBody};
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
