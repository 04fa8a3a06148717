//! Recover and replay of one endpoint (issue 17): both make deliveries due now and answer 202
//! with how many; the retry scheduler sends them through the normal engine.

use crate::auth::Caller;
use crate::body;
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Utc};
use hookd_db::replay::Range;
use hookd_db::routing::Route;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(recover).service(replay_missing);
}

/// The time range to recover or replay: deliveries (recover) or messages (replay_missing)
/// created at or after `since`, and at or before `until` when given.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoverRange {
    #[schema(required = true, value_type = String, format = DateTime)]
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

impl RecoverRange {
    fn checked(&self) -> Result<Range, ApiError> {
        let since = self
            .since
            .ok_or_else(|| body::invalid_field("since", "since is required"))?;
        if self.until.is_some_and(|until| until < since) {
            return Err(body::invalid_field("until", "until is before since"));
        }
        Ok(Range {
            since,
            until: self.until,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct RecoverCount {
    /// Deliveries scheduled: failed ones tried again (recover), or new ones (replay_missing).
    count: u64,
}

/// The caller's endpoint as the router sees it, refused while it is disabled: nothing could be
/// sent to it (the deliveries would fail at once).
async fn enabled_route(state: &AppState, caller: &Caller, id: Uuid) -> Result<Route, ApiError> {
    let client = state.client().await?;
    let route = hookd_db::routing::route_in_org(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("endpoint"))?;
    if !route.enabled {
        return Err(ApiError::conflict(
            "the endpoint is disabled: enable it before recovering or replaying",
        ));
    }
    Ok(route)
}

/// Tries the endpoint's failed deliveries again: the one path of the JSON route and others.
pub async fn recover_endpoint(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    range: Range,
) -> Result<u64, ApiError> {
    let route = enabled_route(state, caller, id).await?;
    let client = state.client().await?;
    let count = hookd_db::replay::recover(&client, &route, range).await?;
    tracing::info!(endpoint_id = %id, count, "endpoint recovered");
    state
        .metrics
        .deliveries_rescheduled
        .with_label_values(&["recover"])
        .inc_by(count);
    Ok(count)
}

/// Delivers what the endpoint missed: the one path of the JSON route and others.
pub async fn replay_missing_endpoint(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    range: Range,
) -> Result<u64, ApiError> {
    let route = enabled_route(state, caller, id).await?;
    let client = state.client().await?;
    let count = hookd_db::replay::replay_missing(&client, &route, range).await?;
    tracing::info!(endpoint_id = %id, count, "endpoint's missing messages replayed");
    state
        .metrics
        .deliveries_rescheduled
        .with_label_values(&["replay"])
        .inc_by(count);
    Ok(count)
}

/// Send the endpoint's failed deliveries again: those that ended `failed` and were created in
/// the range get one more try each, now, through the normal delivery engine. A delivery
/// recovered and not yet tried is `pending`, so recovering again meanwhile skips it. 409 while
/// the endpoint is disabled.
#[utoipa::path(tag = "deliveries", request_body = RecoverRange,
    responses((status = 202, body = RecoverCount), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/endpoints/{endpoint_id}/recover")]
async fn recover(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: body::Json<RecoverRange>,
) -> Result<HttpResponse, ApiError> {
    let range = body.0.checked()?;
    let count = recover_endpoint(&state, &caller, *id, range).await?;
    Ok(HttpResponse::Accepted().json(RecoverCount { count }))
}

/// Deliver to the endpoint the messages of the range that it would be sent today (its event
/// types, version and filter) but never got: sent while it was disabled or before it
/// subscribed. Each such message gets one delivery (never two, however often this is called);
/// messages sent to another endpoint alone, run by a task, or whose payload was expunged are
/// left out. 409 while the endpoint is disabled.
#[utoipa::path(tag = "deliveries", request_body = RecoverRange,
    responses((status = 202, body = RecoverCount), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/endpoints/{endpoint_id}/replay_missing")]
async fn replay_missing(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: body::Json<RecoverRange>,
) -> Result<HttpResponse, ApiError> {
    let range = body.0.checked()?;
    let count = replay_missing_endpoint(&state, &caller, *id, range).await?;
    Ok(HttpResponse::Accepted().json(RecoverCount { count }))
}
