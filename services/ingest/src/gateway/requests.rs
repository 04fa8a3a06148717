//! `/requests`: what arrived at source URLs, accepted or rejected, with the raw body.

use super::ids::{self, REQUEST, SOURCE};
use super::list::{includes, GwList, GwQuery};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::list::{Kind, ListSpec};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, web, HttpRequest};
use chrono::{DateTime, Utc};
use hookd_db::gateway::requests::{self as db, Request};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(get_one).service(raw_body);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestModel {
    pub id: String,
    pub team_id: String,
    pub source_id: String,
    /// The source's verification passed.
    pub verified: bool,
    /// SOURCE_DISABLED, UNSUPPORTED_HTTP_METHOD, VERIFICATION_FAILED, PAYLOAD_TOO_LARGE; absent
    /// when accepted (the SDK reads a null as a wrong type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection_cause: Option<String>,
    pub ingested_at: DateTime<Utc>,
    pub events_count: i32,
    pub ignored_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `{path, query, parsed_query, headers, body}`: on retrieve, or with `include=data`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
}

pub fn render(r: Request, with_data: bool) -> RequestModel {
    RequestModel {
        id: ids::format(REQUEST, r.id),
        team_id: super::team_id(r.organization_id),
        source_id: ids::format(SOURCE, r.source_id),
        verified: r.verified,
        rejection_cause: r.rejection_cause,
        ingested_at: r.ingested_at,
        events_count: r.events_count,
        ignored_count: r.ignored_count,
        created_at: r.created_at,
        updated_at: r.updated_at,
        data: with_data.then_some(r.data),
    }
}

pub fn path_id(raw: &str) -> Result<Uuid, ApiError> {
    ids::parse(REQUEST, raw).ok_or_else(|| ApiError::not_found("request"))
}

/// List requests (filters `id status rejection_cause source_id verified created_at`).
#[utoipa::path(tag = "gateway", responses((status = 200, body = GwList<RequestModel>)))]
#[get("/requests")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<GwList<RequestModel>>, ApiError> {
    let q = GwQuery::parse(
        &req,
        &ListSpec {
            filterable: &[
                ("id", "r.id", Kind::Id(REQUEST)),
                (
                    "status",
                    // NO_CONNECTION was answered 200: accepted, only routed nowhere.
                    "(CASE WHEN nullif(r.rejection_cause, 'NO_CONNECTION') IS NULL
                        THEN 'accepted' ELSE 'rejected' END)",
                    Kind::OneOf(&["accepted", "rejected"]),
                ),
                ("rejection_cause", "r.rejection_cause", Kind::Text),
                ("source_id", "r.source_id", Kind::Id(SOURCE)),
                ("verified", "r.verified", Kind::Bool),
                ("created_at", "r.created_at", Kind::Time),
                ("ingested_at", "r.ingested_at", Kind::Time),
            ],
            order_by: &[("created_at", None), ("ingested_at", Some("r.ingested_at"))],
        },
    )?;
    let with_data = includes(&req, "data");
    let client = state.client().await?;
    let listed = db::list(
        &client,
        caller.organization_id,
        &q.list.filters,
        &q.list.page,
    )
    .await?;
    Ok(web::Json(q.respond(listed, |r| Ok(render(r, with_data)))?))
}

/// Get a request, with its data.
#[utoipa::path(tag = "gateway", responses((status = 200, body = RequestModel), (status = 404, body = ErrorBody)))]
#[get("/requests/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<RequestModel>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let r = db::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("request"))?;
    Ok(web::Json(render(r, true)))
}

#[derive(Serialize, ToSchema)]
pub struct RawBody {
    /// The body as received (UTF-8; bytes that are not are replaced).
    pub body: String,
}

/// The raw body of a request.
#[utoipa::path(tag = "gateway", responses((status = 200, body = RawBody), (status = 404, body = ErrorBody)))]
#[get("/requests/{id}/raw_body")]
async fn raw_body(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<RawBody>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let body = db::raw_body(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("request"))?;
    Ok(web::Json(RawBody {
        body: String::from_utf8_lossy(&body).into_owned(),
    }))
}
