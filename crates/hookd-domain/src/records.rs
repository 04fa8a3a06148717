use crate::{DeliveryStatus, EndpointKind, EndpointOrdering, EndpointStatus, TaskStatus};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    /// Days message payloads are kept; `null`: the installation's default.
    pub payload_retention_days: Option<i32>,
    /// The plan's limits.
    pub quotas: Quotas,
    /// Set once `DELETE /organizations/{id}` was asked: its data is being removed.
    pub deleting_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An organization's plan: each limit `null` for unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Quotas {
    /// Messages accepted per UTC day (429 past it).
    pub messages_per_day: Option<i32>,
    /// Endpoints across all apps (422 past it).
    pub endpoints: Option<i32>,
    /// Apps (422 past it).
    pub apps: Option<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct App {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventType {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// JSON Schema that message `data` must satisfy (of a version without one in `schemas`).
    pub schema: Option<Value>,
    /// JSON Schemas per message version (`{"2.0": {...}}`): a message of a version listed here
    /// must satisfy that schema instead of `schema`.
    #[schema(value_type = Object)]
    pub schemas: std::collections::BTreeMap<String, Value>,
    /// An example payload (satisfies `schema`); the console's test messages send it.
    pub example: Option<Value>,
    /// Example payloads per message version (`{"2.0": {...}}`), each satisfying that
    /// version's schema (`schemas`, else `schema`).
    #[schema(value_type = Object)]
    pub examples: std::collections::BTreeMap<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Subscription {
    pub id: Uuid,
    pub app_id: Uuid,
    pub name: String,
    pub metadata: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Endpoint {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub app_id: Uuid,
    /// Where webhooks are POSTed; for a `cli` endpoint, `cli:` (see `kind`).
    pub url: String,
    /// `http`: POSTed to `url` by hookd; `cli`: handed to a connected `hookctl listen`, which
    /// forwards each to a local URL (deliveries wait, as for a down endpoint, while none is).
    pub kind: EndpointKind,
    pub version: String,
    pub status: EndpointStatus,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    /// Extra headers sent with every delivery.
    pub headers: Value,
    /// `whsec_` signing secret: only in the create and rotate answers (read it later with
    /// `GET .../endpoints/{endpoint_id}/secret`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Why the endpoint was disabled by hookd (410 Gone, sustained failure).
    pub disabled_reason: Option<String>,
    /// Deliveries per second at most; `null` for no limit.
    pub rate_limit: Option<i32>,
    /// Payload filter over `{event_type, version, data}` (the gateway's filter syntax): the
    /// endpoint gets only the messages that match; `null` for all.
    #[schema(value_type = Option<Object>, example = json!({"data": {"amount": {"$gte": 100}}}))]
    pub filter: Option<Value>,
    /// `fifo`: each message goes only after the previous one (of the same `ordering_key`
    /// value) succeeded or finally failed. `none` (default): no order.
    pub ordering: EndpointOrdering,
    /// With `fifo`, a dotted path into `data` (e.g. `customer.id`) whose value picks the lane;
    /// messages without it share one lane. `null`: one lane for the endpoint.
    #[schema(example = "customer.id")]
    pub ordering_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    pub id: Uuid,
    pub event_type: String,
    pub version: String,
    pub event_id: Option<String>,
    /// `null` once the payload was expunged (retention or `DELETE /messages/{id}/content`).
    pub data: Value,
    pub created_at: DateTime<Utc>,
    /// When the payload was expunged; absent while it is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expunged_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub message_id: Uuid,
    pub endpoint_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempt_count: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attempt {
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub message_id: Uuid,
    pub endpoint_id: Uuid,
    /// 1 for the first try.
    pub attempt: i32,
    pub response_status: Option<i32>,
    /// First 4 KiB of the response body.
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Task {
    pub id: Uuid,
    pub event_type: String,
    pub status: Option<TaskStatus>,
    pub scheduled_run_time: DateTime<Utc>,
    pub endpoint_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub data: Value,
}

/// The body an endpoint receives, rendered once per message.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookBody<'a> {
    pub id: Uuid,
    pub event_type: &'a str,
    pub version: &'a str,
    pub event_id: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub data: &'a Value,
}
