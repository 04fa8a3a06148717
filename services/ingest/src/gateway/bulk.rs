//! `/bulk/events/retry`: retry every event a query selects, in batches (`bulk_worker`). The
//! events it can reach are those created before it.

use super::bulk_query;
use super::event_model::EVENT_LIST;
use super::ids::{self, BULK_RETRY};
use super::list::{param, GwList, GwQuery};
use crate::auth::Caller;
use crate::body;
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListSpec};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, post, web, HttpRequest};
use chrono::{DateTime, Utc};
use hookd_db::gateway::bulk_retries::{self as db, BulkRetry};
use hookd_db::gateway::events_view;
use hookd_db::Filter;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

/// Events marked due per batch (one transaction each).
pub const BATCH: i64 = 100;

pub fn configure(cfg: &mut ServiceConfig) {
    // `plan` before `{id}`: the first matching route answers.
    cfg.service(list)
        .service(create)
        .service(plan)
        .service(get_one)
        .service(cancel);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkRetryModel {
    pub id: String,
    pub team_id: String,
    /// The event filters as given.
    #[schema(value_type = Object)]
    pub query: Value,
    pub estimated_count: i32,
    pub estimated_batch: i32,
    pub processed_batch: i32,
    /// Events marked for a BULK_RETRY try.
    pub completed_count: i32,
    /// Matching events left alone because a try was in flight.
    pub failed_count: i32,
    /// 0 to 1.
    pub progress: f64,
    pub in_progress: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn render(b: BulkRetry) -> BulkRetryModel {
    let progress = if b.completed_at.is_some() {
        1.0
    } else if b.estimated_count > 0 {
        (f64::from(b.completed_count + b.failed_count) / f64::from(b.estimated_count)).min(1.0)
    } else {
        0.0
    };
    BulkRetryModel {
        id: ids::format(BULK_RETRY, b.id),
        team_id: super::team_id(b.organization_id),
        query: b.query,
        estimated_count: b.estimated_count,
        estimated_batch: b.estimated_batch,
        processed_batch: b.processed_batch,
        completed_count: b.completed_count,
        failed_count: b.failed_count,
        progress,
        in_progress: b.in_progress,
        completed_at: b.completed_at,
        cancelled_at: b.cancelled_at,
        created_at: b.created_at,
        updated_at: b.updated_at,
    }
}

/// The filters of a bulk retry created at `at`: the query's, on events created by then.
pub fn filters_until(q: ListQuery, at: DateTime<Utc>) -> Vec<Filter> {
    let mut filters = q.filters;
    filters.push(Filter {
        column: "e.created_at",
        op: hookd_db::Op::Lte,
        value: hookd_db::FilterValue::Time(at),
    });
    filters
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Plan {
    pub estimated_count: i64,
    pub estimated_batch: i64,
}

async fn estimate(
    state: &AppState,
    organization_id: Uuid,
    q: ListQuery,
    at: DateTime<Utc>,
) -> Result<Plan, ApiError> {
    let client = state.client().await?;
    let filters = filters_until(q, at);
    let count = events_view::count(&client, organization_id, &filters).await?;
    Ok(Plan {
        estimated_count: count,
        estimated_batch: (count + BATCH - 1) / BATCH,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkRetryInput {
    /// Event filters (those of `GET /events`), e.g. `{"status": "FAILED", "created_at":
    /// {"gte": "2026-01-01"}}`.
    #[schema(value_type = Object)]
    pub query: Option<Value>,
}

/// Start a bulk retry of the events `query` selects.
#[utoipa::path(tag = "gateway", request_body = BulkRetryInput,
    responses((status = 200, body = BulkRetryModel), (status = 422, body = ErrorBody)))]
#[post("/bulk/events/retry")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::OptionalJson<BulkRetryInput>,
) -> Result<web::Json<BulkRetryModel>, ApiError> {
    let query = body.0.query.unwrap_or(Value::Null);
    let q = bulk_query::parse(&query)?;
    let now = Utc::now();
    let estimated = estimate(&state, caller.organization_id, q, now).await?;
    let done = estimated.estimated_count == 0;
    let b = BulkRetry {
        id: hookd_domain::new_id(),
        organization_id: caller.organization_id,
        query,
        estimated_count: estimated.estimated_count as i32,
        estimated_batch: estimated.estimated_batch as i32,
        processed_batch: 0,
        completed_count: 0,
        failed_count: 0,
        cursor: None,
        in_progress: !done,
        completed_at: done.then_some(now),
        cancelled_at: None,
        created_at: now,
        updated_at: now,
    };
    let client = state.client().await?;
    let created = db::insert(&client, &b).await?;
    tracing::info!(bulk_retry_id = %created.id, estimated = created.estimated_count,
        "gateway bulk retry started");
    Ok(web::Json(render(created)))
}

/// List bulk retries (filters `id in_progress created_at completed_at cancelled_at`).
#[utoipa::path(tag = "gateway", responses((status = 200, body = GwList<BulkRetryModel>)))]
#[get("/bulk/events/retry")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<GwList<BulkRetryModel>>, ApiError> {
    let q = GwQuery::parse(
        &req,
        &ListSpec {
            filterable: &[
                ("id", "b.id", Kind::Id(BULK_RETRY)),
                ("in_progress", "b.in_progress", Kind::Bool),
                ("created_at", "b.created_at", Kind::Time),
                ("completed_at", "b.completed_at", Kind::Time),
                ("cancelled_at", "b.cancelled_at", Kind::Time),
            ],
            order_by: &[("created_at", None)],
        },
    )?;
    let client = state.client().await?;
    let listed = db::list(
        &client,
        caller.organization_id,
        &q.list.filters,
        &q.list.page,
    )
    .await?;
    Ok(web::Json(q.respond(listed, |b| Ok(render(b)))?))
}

/// How many events a bulk retry would retry now: `query` (JSON) or the filters of `/events`
/// in the query string; neither: all events.
#[utoipa::path(tag = "gateway", responses((status = 200, body = Plan), (status = 422, body = ErrorBody)))]
#[get("/bulk/events/retry/plan")]
async fn plan(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<Plan>, ApiError> {
    let q = match param(&req, "query") {
        Some(raw) => {
            let json: Value = serde_json::from_str(&raw)
                .map_err(|_| ApiError::invalid("query must be a JSON object of event filters"))?;
            bulk_query::parse(&json)?
        }
        None => ListQuery::parse_spec(&req, &EVENT_LIST)?,
    };
    Ok(web::Json(
        estimate(&state, caller.organization_id, q, Utc::now()).await?,
    ))
}

fn path_id(raw: &str) -> Result<Uuid, ApiError> {
    ids::path(BULK_RETRY, raw, "bulk retry")
}

/// Get a bulk retry and its progress.
#[utoipa::path(tag = "gateway", responses((status = 200, body = BulkRetryModel), (status = 404, body = ErrorBody)))]
#[get("/bulk/events/retry/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<BulkRetryModel>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let b = db::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("bulk retry"))?;
    Ok(web::Json(render(b)))
}

/// Cancel a bulk retry: no further batches (events already marked keep their try).
#[utoipa::path(tag = "gateway", responses((status = 200, body = BulkRetryModel), (status = 404, body = ErrorBody)))]
#[post("/bulk/events/retry/{id}/cancel")]
async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<BulkRetryModel>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let b = db::cancel(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("bulk retry"))?;
    tracing::info!(bulk_retry_id = %b.id, "gateway bulk retry cancelled");
    Ok(web::Json(render(b)))
}
