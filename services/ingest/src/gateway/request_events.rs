//! A request's events and ignored events, and its retry: an event for each chosen connection of
//! its source that has none yet (made after the request, or one that ignored it).

use super::event_model::{render_event, EventModel};
use super::ids::{self, CONNECTION, IGNORED_EVENT, REQUEST};
use super::list::{GwList, GwQuery};
use super::requests::{path_id, render, RequestModel};
use crate::auth::Caller;
use crate::body;
use crate::error::ApiError;
use crate::list::ListSpec;
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, post, web, HttpRequest};
use chrono::{DateTime, Utc};
use hookd_db::gateway::events_view::{self, Event};
use hookd_db::gateway::{connections, destinations, ignored_view, requests};
use hookd_db::DbError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(events).service(ignored_events).service(retry);
}

/// The events of a request (the filters of `/events`).
#[utoipa::path(tag = "gateway", responses((status = 200, body = GwList<EventModel>), (status = 404, body = ErrorBody)))]
#[get("/requests/{id}/events")]
async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<web::Json<GwList<EventModel>>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    requests::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("request"))?;
    drop(client);
    let page = super::events::list_events(&state, &caller, &req, Some(id)).await?;
    Ok(web::Json(page))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IgnoredEventModel {
    pub id: String,
    pub team_id: String,
    /// The connection that ignored the request.
    pub webhook_id: Option<String>,
    /// DISABLED or FILTERED.
    pub cause: String,
    pub request_id: String,
    /// What failed (for FILTERED, the failing part of the filter).
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The ignored events of a request.
#[utoipa::path(tag = "gateway", responses((status = 200, body = GwList<IgnoredEventModel>), (status = 404, body = ErrorBody)))]
#[get("/requests/{id}/ignored_events")]
async fn ignored_events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<web::Json<GwList<IgnoredEventModel>>, ApiError> {
    let id = path_id(&id)?;
    let q = GwQuery::parse(
        &req,
        &ListSpec {
            filterable: &[],
            order_by: &[("created_at", None)],
        },
    )?;
    let client = state.client().await?;
    requests::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("request"))?;
    let listed =
        ignored_view::of_request(&client, caller.organization_id, id, &q.list.page).await?;
    let team_id = super::team_id(caller.organization_id);
    Ok(web::Json(q.respond(listed, |i| {
        Ok(IgnoredEventModel {
            id: ids::format(IGNORED_EVENT, i.id),
            team_id: team_id.clone(),
            webhook_id: i.connection_id.map(|c| ids::format(CONNECTION, c)),
            cause: i.cause,
            request_id: ids::format(REQUEST, i.request_id),
            meta: i.meta,
            created_at: i.created_at,
            updated_at: i.created_at,
        })
    })?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RetryRequestInput {
    /// Connections (`web_...`) of the request's source; empty or absent: all of them.
    #[serde(default)]
    pub webhook_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RetriedRequest {
    pub request: RequestModel,
    /// The events this retry made.
    pub events: Vec<EventModel>,
}

/// Retry a request: a new event, due now, for each chosen connection without one.
#[utoipa::path(tag = "gateway", request_body = RetryRequestInput,
    responses((status = 200, body = RetriedRequest), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/requests/{id}/retry")]
async fn retry(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: body::OptionalJson<RetryRequestInput>,
) -> Result<web::Json<RetriedRequest>, ApiError> {
    let id = path_id(&id)?;
    let org = caller.organization_id;
    let mut client = state.client().await?;
    let request = requests::get(&client, org, id)
        .await
        .map_err(ApiError::from_db("request"))?;
    // A request that found no connection may be retried once there is one.
    if request
        .rejection_cause
        .as_deref()
        .is_some_and(|c| c != "NO_CONNECTION")
    {
        return Err(ApiError::invalid("a rejected request is not routed"));
    }
    let of_source = connections::of_source(&client, request.source_id).await?;
    let mut chosen = Vec::new();
    for raw in &body.0.webhook_ids {
        let c = ids::parse(CONNECTION, raw)
            .and_then(|cid| of_source.iter().find(|c| c.id == cid))
            .ok_or_else(|| {
                ApiError::invalid("webhook_ids must be connections of the request's source")
                    .with_data(serde_json::json!({"field": "webhook_ids", "value": raw}))
            })?;
        chosen.push(c);
    }
    if body.0.webhook_ids.is_empty() {
        chosen = of_source.iter().collect();
    }
    let dest_ids: Vec<Uuid> = chosen.iter().map(|c| c.destination_id).collect();
    let disabled_dests: Vec<Uuid> = destinations::get_many(&client, org, &dest_ids)
        .await?
        .into_iter()
        .filter(|d| d.disabled_at.is_some())
        .map(|d| d.id)
        .collect();
    let tx = client.transaction().await.map_err(DbError::from)?;
    let existing = events_view::connections_with_events(&tx, id).await?;
    let mut made = Vec::new();
    for c in chosen {
        // A disabled connection or destination would only ignore it again.
        if existing.contains(&c.id)
            || c.disabled_at.is_some()
            || disabled_dests.contains(&c.destination_id)
        {
            continue;
        }
        let status = if c.paused_at.is_some() {
            "HOLD"
        } else {
            "QUEUED"
        };
        let draft = Event::draft(org, c.id, request.source_id, c.destination_id, id, status);
        if let Some(e) = events_view::insert_due(&tx, &draft).await? {
            made.push(e);
        }
    }
    requests::add_events(&tx, id, made.len() as i32).await?;
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(request_id = %id, events = made.len(), "gateway request retried");
    let request = requests::get(&client, org, id).await?;
    let data = request.data.clone();
    Ok(web::Json(RetriedRequest {
        request: render(request, false),
        events: made
            .into_iter()
            .map(|e| render_event(e, Some(data.clone())))
            .collect(),
    }))
}
