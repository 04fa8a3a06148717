//! `hookctl listen --source`'s two routes, outside Hookdeck's public resources
//! (`/2024-03-01/cli/...`): the stream of a source's events for its CLI destinations
//! (`cli_path`, no url), and the report of each forward, recorded as a gateway attempt through
//! the one gateway recorder (`hookd_db::gateway::retry`: the connection's retry rule applies).

use super::cli_relay::SourceFeed;
use super::ids::{self, EVENT, SOURCE};
use crate::auth::Caller;
use crate::body;
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use hookd_db::gateway::dispatch::TryRecord;
use hookd_db::gateway::sources::{self as db, Source};
use serde::{Deserialize, Serialize};
use tracing::Instrument;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(listen_source).service(report_source_forward);
}

/// The caller's source, by id (`src_…`) or name.
async fn source(state: &AppState, caller: &Caller, raw: &str) -> Result<Source, ApiError> {
    let client = state.client().await?;
    let found = match ids::parse(SOURCE, raw) {
        Some(id) => db::get(&client, caller.organization_id, id)
            .await
            .map(Some)
            .or_else(|e| match e {
                hookd_db::DbError::NotFound => Ok(None),
                e => Err(e),
            })?,
        None => db::find_by_name(&client, caller.organization_id, raw).await?,
    };
    found.ok_or_else(|| ApiError::not_found("source"))
}

/// Receive a source's events for its CLI destinations (`cli_path`, no `url`) as they come: a
/// long-lived stream of JSON objects, one per line (`application/x-ndjson`; blank lines keep
/// it alive). The first line is `{"type": "connected"}`; each `{"type": "event"}` line is a
/// request to forward (to the local URL followed by `path`) and report. Events wait (`QUEUED`)
/// while no stream is open, and what a stream held unreported when it closed is handed out
/// again with the same `x-hookdeck-eventid`: receivers deduplicate by it.
#[utoipa::path(tag = "gateway",
    params(("source" = String, Path, description = "The source's id (`src_…`) or name")),
    responses((status = 200, description = "The stream, one JSON object per line: \
            `{type: connected, source_id, source_name}`, then `{type: event, event_id, \
            request_id, destination_id, attempt, method, path, headers, body | body_base64}` \
            per event", content_type = "application/x-ndjson", body = String),
        (status = 404, body = ErrorBody)))]
#[get("/cli/sources/{source}/listen")]
async fn listen_source(
    state: web::Data<AppState>,
    caller: Caller,
    raw: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let source = source(&state, &caller, &raw).await?;
    let span = tracing::info_span!("ingest.cli_relay", source_id = %source.id);
    let feed = SourceFeed {
        source_id: source.id,
        source_name: source.name,
        organization_id: caller.organization_id,
    };
    Ok(crate::relay::response(state.clone(), feed, span))
}

/// What became of one forward of an event by `hookctl listen --source`.
#[derive(Deserialize, ToSchema)]
pub struct SourceListenAttempt {
    /// The `event_id` of the stream's line.
    event_id: String,
    /// The `attempt` of the stream's line.
    #[schema(minimum = 1)]
    attempt: i32,
    /// The local receiver's status code; absent when it did not answer.
    response_status: Option<u16>,
    /// The start of its answer (kept up to 4 KiB).
    response_body: Option<String>,
    /// Why there was no answer (connection refused, timeout).
    error: Option<String>,
    /// The attempt's `error_code` when there was no answer: `TIMEOUT`, `CONNECTION_REFUSED`
    /// or `UNKNOWN` (the default).
    error_code: Option<String>,
    /// Where the CLI sent it (its local URL).
    url: Option<String>,
    /// How long the forward took.
    #[serde(default)]
    #[schema(minimum = 0)]
    duration_ms: u32,
}

/// The event after a reported forward.
#[derive(Serialize, ToSchema)]
pub struct SourceListenRecorded {
    pub event_id: String,
    pub attempt_id: String,
    pub attempt_number: i32,
    /// `SUCCESSFUL`, or `FAILED` (with `next_attempt_at` when a retry is due).
    pub status: String,
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Report one forward of an event: recorded as a gateway attempt; a 2xx makes the event
/// `SUCCESSFUL`, anything else `FAILED` with the next try decided by the connection's retry
/// rule (else the engine's schedule), handed out again when due. 409 when the event is not
/// waiting for that try (reported before, or another CLI's report came first).
#[utoipa::path(tag = "gateway", request_body = SourceListenAttempt,
    params(("source" = String, Path, description = "The source's id (`src_…`) or name")),
    responses((status = 200, body = SourceListenRecorded), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/cli/sources/{source}/listen/attempts")]
async fn report_source_forward(
    state: web::Data<AppState>,
    caller: Caller,
    raw: web::Path<String>,
    body: body::Json<SourceListenAttempt>,
) -> Result<web::Json<SourceListenRecorded>, ApiError> {
    let input = body.0;
    crate::relay::check_report(input.attempt, input.response_status, input.error.as_deref())?;
    let event_id =
        ids::parse(EVENT, &input.event_id).ok_or_else(|| ApiError::not_found("event"))?;
    let source = source(&state, &caller, &raw).await?;
    let span = tracing::info_span!("cli_relay.report", %event_id, attempt = input.attempt);
    async move {
        let mut client = state.client().await?;
        let (destination_id, trigger, http_method) =
            hookd_db::gateway::cli_relay::reported(&client, source.id, event_id, input.attempt)
                .await?
                .ok_or_else(|| {
                    ApiError::conflict("the event is not waiting for a report of this try")
                })?;
        let succeeded = input
            .response_status
            .is_some_and(|s| (200..300).contains(&s));
        let error_code = match (input.response_status, input.error_code.as_deref()) {
            (Some(_), _) => None,
            (None, Some(c @ ("TIMEOUT" | "CONNECTION_REFUSED"))) => Some(c.to_owned()),
            (None, _) => Some("UNKNOWN".to_owned()),
        };
        let record = TryRecord {
            event_id,
            destination_id,
            trigger,
            succeeded,
            response_status: input.response_status.map(i32::from),
            error_code,
            body: input
                .response_body
                .or(input.error)
                .map(crate::relay::first_4k),
            requested_url: input
                .url
                .map(crate::relay::first_4k)
                .unwrap_or_else(|| "cli:".into()),
            http_method,
            duration_ms: input.duration_ms.min(i32::MAX as u32) as i32,
        };
        let schedule = &state.settings.delivery.retry_schedule;
        let recorded = hookd_db::gateway::retry::record(&mut client, &[record], schedule)
            .await?
            .pop()
            .flatten()
            .ok_or_else(|| ApiError::not_found("event"))?;
        state
            .metrics
            .cli_attempts
            .with_label_values(&[if succeeded { "success" } else { "failure" }])
            .inc();
        let status = if succeeded { "SUCCESSFUL" } else { "FAILED" };
        tracing::info!(
            attempt_number = recorded.attempt_number,
            status,
            "hookctl listen reported a gateway forward"
        );
        Ok(web::Json(SourceListenRecorded {
            event_id: input.event_id,
            attempt_id: ids::format(ids::ATTEMPT, recorded.attempt_id),
            attempt_number: recorded.attempt_number,
            status: status.to_owned(),
            next_attempt_at: recorded.retry_at,
        }))
    }
    .instrument(span)
    .await
}
