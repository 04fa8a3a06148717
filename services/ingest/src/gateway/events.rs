//! `/events` and `/attempts`: what each connection made of a request, and its tries. A retry
//! or mute only marks the event; the engine's scheduler sends what is due.

use super::event_model::{render_attempt, render_event, AttemptModel, EventModel, EVENT_LIST};
use super::ids::{self, ATTEMPT, EVENT};
use super::list::{includes, GwList, GwQuery};
use super::requests::RawBody;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::list::{Kind, ListSpec};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, post, put, web, HttpRequest};
use hookd_db::gateway::events_view::Event;
use hookd_db::gateway::{attempts_view, events_view as db, requests};
use hookd_db::{GenericClient, Listed};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(get_one)
        .service(raw_body)
        .service(retry)
        .service(mute)
        .service(list_attempts)
        .service(get_attempt);
}

fn path_id(raw: &str) -> Result<Uuid, ApiError> {
    ids::path(EVENT, raw, "event")
}

/// A page of events (of one request if `request_id`), with their data if `include=data`.
pub async fn list_events(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    request_id: Option<Uuid>,
) -> Result<GwList<EventModel>, ApiError> {
    let q = GwQuery::parse(req, &EVENT_LIST)?;
    let client = state.client().await?;
    let listed = db::list(
        &client,
        caller.organization_id,
        request_id,
        &q.list.filters,
        &q.list.page,
    )
    .await?;
    let data = if includes(req, "data") {
        let ids: Vec<Uuid> = listed.models.iter().map(|e| e.request_id).collect();
        Some(requests::data_of(&client, caller.organization_id, &ids).await?)
    } else {
        None
    };
    q.respond(listed, |e| {
        let d = data.as_ref().and_then(|d| d.get(&e.request_id).cloned());
        Ok(render_event(e, d))
    })
}

/// The event with its request's data.
async fn with_data(
    client: &impl GenericClient,
    organization_id: Uuid,
    e: Event,
) -> Result<EventModel, ApiError> {
    let data = requests::get(client, organization_id, e.request_id)
        .await
        .map_err(ApiError::from_db("request"))?
        .data;
    Ok(render_event(e, Some(data)))
}

/// List events (filters `id status webhook_id source_id destination_id attempts
/// response_status error_code created_at last_attempt_at`).
#[utoipa::path(tag = "gateway", responses((status = 200, body = GwList<EventModel>)))]
#[get("/events")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<GwList<EventModel>>, ApiError> {
    Ok(web::Json(list_events(&state, &caller, &req, None).await?))
}

/// Get an event, with its data.
#[utoipa::path(tag = "gateway", responses((status = 200, body = EventModel), (status = 404, body = ErrorBody)))]
#[get("/events/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<EventModel>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let e = db::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("event"))?;
    Ok(web::Json(
        with_data(&client, caller.organization_id, e).await?,
    ))
}

/// The raw body of an event (its request's).
#[utoipa::path(tag = "gateway", responses((status = 200, body = RawBody), (status = 404, body = ErrorBody)))]
#[get("/events/{id}/raw_body")]
async fn raw_body(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<RawBody>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let e = db::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("event"))?;
    let body = requests::raw_body(&client, caller.organization_id, e.request_id)
        .await
        .map_err(ApiError::from_db("event"))?;
    Ok(web::Json(RawBody {
        body: String::from_utf8_lossy(&body).into_owned(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetriedEvent {
    pub event: EventModel,
    /// Always null: the try is made by the scheduler right after this answer.
    pub attempt: Option<AttemptModel>,
}

/// Retry an event now (a MANUAL try), muted or not.
#[utoipa::path(tag = "gateway", responses((status = 200, body = RetriedEvent), (status = 404, body = ErrorBody)))]
#[post("/events/{id}/retry")]
async fn retry(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<RetriedEvent>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let e = db::mark_due(&client, caller.organization_id, id, "MANUAL", None)
        .await
        .map_err(ApiError::from_db("event"))?;
    state
        .gateway_metrics
        .retries_marked
        .with_label_values(&["MANUAL"])
        .inc();
    tracing::info!(event_id = %e.id, "gateway event marked for a manual retry");
    let event = with_data(&client, caller.organization_id, e).await?;
    Ok(web::Json(RetriedEvent {
        event,
        attempt: None,
    }))
}

/// Mute an event: no more automatic tries; one never tried ends FAILED (CANCELLED).
#[utoipa::path(tag = "gateway", responses((status = 200, body = EventModel), (status = 404, body = ErrorBody)))]
#[put("/events/{id}/mute")]
async fn mute(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<EventModel>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let e = db::mute(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("event"))?;
    tracing::info!(event_id = %e.id, status = %e.status, "gateway event muted");
    Ok(web::Json(
        with_data(&client, caller.organization_id, e).await?,
    ))
}

/// List attempts (filter `event_id`).
#[utoipa::path(tag = "gateway", responses((status = 200, body = GwList<AttemptModel>)))]
#[get("/attempts")]
async fn list_attempts(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<GwList<AttemptModel>>, ApiError> {
    let q = GwQuery::parse(
        &req,
        &ListSpec {
            filterable: &[
                ("id", "a.id", Kind::Id(ATTEMPT)),
                ("event_id", "a.event_id", Kind::Id(EVENT)),
                ("created_at", "a.created_at", Kind::Time),
            ],
            order_by: &[("created_at", None)],
        },
    )?;
    let client = state.client().await?;
    let listed: Listed<_> = attempts_view::list(
        &client,
        caller.organization_id,
        &q.list.filters,
        &q.list.page,
    )
    .await?;
    Ok(web::Json(q.respond(listed, |a| Ok(render_attempt(a)))?))
}

/// Get an attempt.
#[utoipa::path(tag = "gateway", responses((status = 200, body = AttemptModel), (status = 404, body = ErrorBody)))]
#[get("/attempts/{id}")]
async fn get_attempt(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<AttemptModel>, ApiError> {
    let id = ids::path(ATTEMPT, &id, "attempt")?;
    let client = state.client().await?;
    let a = attempts_view::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("attempt"))?;
    Ok(web::Json(render_attempt(a)))
}
