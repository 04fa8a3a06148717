//! The rows a batch of routed requests writes, column by column (one array per column, for
//! `unnest`).

use super::routing::{Inbound, Outcome};
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// The columns of the events of a batch.
#[derive(Default)]
pub(super) struct EventRows {
    pub(super) id: Vec<Uuid>,
    pub(super) organization_id: Vec<Uuid>,
    pub(super) connection_id: Vec<Uuid>,
    pub(super) source_id: Vec<Uuid>,
    pub(super) destination_id: Vec<Uuid>,
    pub(super) request_id: Vec<Uuid>,
    pub(super) status: Vec<&'static str>,
    pub(super) next_attempt_at: Vec<Option<DateTime<Utc>>>,
}

impl EventRows {
    /// `route_record::INSERT_EVENTS`'s arguments.
    pub(super) fn params(&self) -> [&(dyn ToSql + Sync); 8] {
        [
            &self.id,
            &self.organization_id,
            &self.connection_id,
            &self.source_id,
            &self.destination_id,
            &self.request_id,
            &self.status,
            &self.next_attempt_at,
        ]
    }

    pub(super) fn push(&mut self, request: &Inbound, outcome: &Outcome) {
        if let Outcome::Event {
            id,
            connection_id,
            destination_id,
            status,
            next_attempt_at,
        } = outcome
        {
            self.id.push(*id);
            self.organization_id.push(request.organization_id);
            self.connection_id.push(*connection_id);
            self.source_id.push(request.source_id);
            self.destination_id.push(*destination_id);
            self.request_id.push(request.id);
            self.status.push(status);
            self.next_attempt_at.push(*next_attempt_at);
        }
    }
}

/// The columns of the ignored events of a batch.
#[derive(Default)]
pub(super) struct IgnoredRows {
    pub(super) id: Vec<Uuid>,
    pub(super) request_id: Vec<Uuid>,
    pub(super) connection_id: Vec<Uuid>,
    pub(super) cause: Vec<&'static str>,
    pub(super) meta: Vec<Option<Value>>,
}

impl IgnoredRows {
    /// `route_record::INSERT_IGNORED`'s arguments.
    pub(super) fn params(&self) -> [&(dyn ToSql + Sync); 5] {
        [
            &self.id,
            &self.request_id,
            &self.connection_id,
            &self.cause,
            &self.meta,
        ]
    }

    pub(super) fn push(
        &mut self,
        request_id: Uuid,
        connection_id: Uuid,
        cause: &'static str,
        meta: Option<Value>,
    ) {
        self.id.push(hookd_domain::new_id());
        self.request_id.push(request_id);
        self.connection_id.push(connection_id);
        self.cause.push(cause);
        self.meta.push(meta);
    }
}

/// What routing tells of each request of a batch.
#[derive(Default)]
pub(super) struct RequestRows {
    pub(super) id: Vec<Uuid>,
    pub(super) events: Vec<i32>,
    pub(super) ignored: Vec<i32>,
    pub(super) cause: Vec<Option<&'static str>>,
}

impl RequestRows {
    /// `route_record::MARK_ROUTED`'s arguments.
    pub(super) fn params(&self) -> [&(dyn ToSql + Sync); 4] {
        [&self.id, &self.events, &self.ignored, &self.cause]
    }

    pub(super) fn push(
        &mut self,
        id: Uuid,
        events: i32,
        ignored: i32,
        cause: Option<&'static str>,
    ) {
        self.id.push(id);
        self.events.push(events);
        self.ignored.push(ignored);
        self.cause.push(cause);
    }
}
