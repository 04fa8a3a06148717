//! Operational webhooks: what hookd tells an organization about its own endpoints, deliveries
//! and tasks (Svix's name for them). They go through the same engine as messages: an
//! organization's configuration is a hidden app with one endpoint, and each event a message
//! of it whose version is `OPERATIONAL_VERSION`.

use crate::EndpointStatus;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// The version of operational messages: their body is Svix's `{type, timestamp, data}`.
pub const OPERATIONAL_VERSION: &str = "operational";

/// The events an organization may subscribe to (the triggers of migrations 0014 and 0023
/// emit them).
pub const OPERATIONAL_EVENT_TYPES: &[&str] = &[
    "endpoint.disabled",
    "endpoint.enabled",
    "endpoint.failing",
    "endpoint.recovered",
    "delivery.exhausted",
    "task.failed",
];

/// An organization's operational webhook.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OperationalWebhook {
    /// The endpoint that receives them: its deliveries and attempts are listed like any
    /// endpoint's (`GET /endpoints/{endpoint_id}/deliveries`).
    pub endpoint_id: Uuid,
    pub url: String,
    #[schema(example = json!(["endpoint.disabled", "delivery.exhausted"]))]
    pub event_types: Vec<String>,
    /// `disabled` when its own deliveries failed for long (its failures are told to nobody);
    /// a `PUT` enables it again.
    pub status: EndpointStatus,
    pub disabled_reason: Option<String>,
    /// `whsec_` signing secret: only in the answer of the `PUT` that created it (read it later
    /// with `GET /operational_webhook/secret`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The body an operational webhook's receiver gets, as Svix sends it.
#[derive(Debug, Clone, Serialize)]
pub struct OperationalBody<'a> {
    #[serde(rename = "type")]
    pub event_type: &'a str,
    pub timestamp: DateTime<Utc>,
    pub data: &'a Value,
}
