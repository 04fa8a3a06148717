//! The Event and Attempt as the API shows them, and what event lists filter on (shared by
//! `/events`, `/requests/{id}/events` and bulk retries' queries).

use super::ids::{self, ATTEMPT, BULK_RETRY, CONNECTION, DESTINATION, EVENT, REQUEST, SOURCE};
use crate::list::{Kind, ListSpec};
use chrono::{DateTime, Utc};
use hookd_db::gateway::attempts_view::Attempt;
use hookd_db::gateway::events_view::{Event, LAST_ATTEMPT_ORDER};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

pub const STATUSES: &[&str] = &["SCHEDULED", "QUEUED", "HOLD", "SUCCESSFUL", "FAILED"];

/// Event filters: `id status webhook_id source_id destination_id attempts response_status
/// error_code created_at last_attempt_at` (and `successful_at`).
pub const EVENT_LIST: ListSpec<'static> = ListSpec {
    filterable: &[
        ("id", "e.id", Kind::Id(EVENT)),
        ("status", "e.status", Kind::OneOf(STATUSES)),
        ("webhook_id", "e.connection_id", Kind::Id(CONNECTION)),
        ("source_id", "e.source_id", Kind::Id(SOURCE)),
        ("destination_id", "e.destination_id", Kind::Id(DESTINATION)),
        ("attempts", "e.attempts", Kind::Int),
        ("response_status", "e.response_status", Kind::Int),
        ("error_code", "e.error_code", Kind::Text),
        ("created_at", "e.created_at", Kind::Time),
        ("last_attempt_at", "e.last_attempt_at", Kind::Time),
        ("successful_at", "e.successful_at", Kind::Time),
    ],
    order_by: &[
        ("created_at", None),
        ("last_attempt_at", Some(LAST_ATTEMPT_ORDER)),
    ],
};

#[derive(Debug, Serialize, ToSchema)]
pub struct EventModel {
    pub id: String,
    pub team_id: String,
    /// The connection.
    pub webhook_id: String,
    pub source_id: String,
    pub destination_id: String,
    pub request_id: String,
    /// Hookdeck's id of the stored payload: here the request's.
    pub event_data_id: String,
    pub attempts: i32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub response_status: Option<i32>,
    pub error_code: Option<String>,
    /// SCHEDULED, QUEUED, HOLD, SUCCESSFUL or FAILED.
    pub status: String,
    pub successful_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The request's data: on retrieve, or with `include=data`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
}

pub fn render_event(e: Event, data: Option<Value>) -> EventModel {
    EventModel {
        id: ids::format(EVENT, e.id),
        team_id: super::team_id(e.organization_id),
        webhook_id: ids::format(CONNECTION, e.connection_id),
        source_id: ids::format(SOURCE, e.source_id),
        destination_id: ids::format(DESTINATION, e.destination_id),
        request_id: ids::format(REQUEST, e.request_id),
        event_data_id: ids::format(REQUEST, e.request_id),
        attempts: e.attempts,
        last_attempt_at: e.last_attempt_at,
        next_attempt_at: e.next_attempt_at,
        response_status: e.response_status,
        error_code: e.error_code,
        status: e.status,
        successful_at: e.successful_at,
        created_at: e.created_at,
        updated_at: e.updated_at,
        data,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptModel {
    pub id: String,
    pub team_id: String,
    pub event_id: String,
    pub destination_id: String,
    pub attempt_number: i32,
    /// INITIAL, AUTOMATIC, MANUAL, BULK_RETRY or UNPAUSE.
    pub trigger: String,
    /// SUCCESSFUL or FAILED.
    pub status: String,
    pub response_status: Option<i32>,
    pub error_code: Option<String>,
    /// The answer's body (at most 4 KiB).
    pub body: Option<String>,
    pub requested_url: String,
    pub http_method: String,
    pub bulk_retry_id: Option<String>,
    pub duration_ms: i32,
    pub successful_at: Option<DateTime<Utc>>,
    pub delivered_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn render_attempt(a: Attempt) -> AttemptModel {
    AttemptModel {
        id: ids::format(ATTEMPT, a.id),
        team_id: super::team_id(a.organization_id),
        event_id: ids::format(EVENT, a.event_id),
        destination_id: ids::format(DESTINATION, a.destination_id),
        attempt_number: a.attempt_number,
        successful_at: (a.status == "SUCCESSFUL").then_some(a.created_at),
        trigger: a.trigger,
        status: a.status,
        response_status: a.response_status,
        error_code: a.error_code,
        body: a.body,
        requested_url: a.requested_url,
        http_method: a.http_method,
        bulk_retry_id: a.bulk_retry_id.map(|id| ids::format(BULK_RETRY, id)),
        duration_ms: a.duration_ms,
        delivered_at: a.created_at,
        created_at: a.created_at,
        updated_at: a.created_at,
    }
}
