use crate::auth::Caller;
use crate::body;
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::routes::check_app;
use crate::state::AppState;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use hookd_db::deliveries::RetryFilter;
use hookd_domain::{Delivery, DeliveryStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(by_message)
        .service(by_endpoint)
        .service(retry_one)
        .service(retry_bulk);
}

const FILTERS: &[crate::list::Filterable] = &[
    ("created_at", "d.created_at", Kind::Time),
    ("next_attempt_at", "d.next_attempt_at", Kind::Time),
    (
        "status",
        "d.status",
        Kind::OneOf(&["pending", "succeeded", "failed"]),
    ),
    ("event_type", "d.event_type", Kind::Text),
    ("endpoint_id", "d.endpoint_id", Kind::Uuid),
    ("attempt_count", "d.attempt_count", Kind::Int),
];

/// List a message's deliveries (one per endpoint).
#[utoipa::path(tag = "deliveries", responses((status = 200, body = ListResponse<Delivery>), (status = 404, body = ErrorBody)))]
#[get("/messages/{message_id}/deliveries")]
async fn by_message(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<Delivery>>, ApiError> {
    let q = ListQuery::parse(&req, FILTERS)?;
    let client = state.client().await?;
    hookd_db::messages::get(&client, caller.organization_id, *id)
        .await
        .map_err(ApiError::from_db("message"))?;
    let listed = hookd_db::deliveries::list_by_message(&client, *id, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// List an endpoint's deliveries.
#[utoipa::path(tag = "deliveries", responses((status = 200, body = ListResponse<Delivery>), (status = 404, body = ErrorBody)))]
#[get("/endpoints/{endpoint_id}/deliveries")]
async fn by_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<Delivery>>, ApiError> {
    let q = ListQuery::parse(&req, FILTERS)?;
    let client = state.client().await?;
    hookd_db::endpoints::get_in_org(&client, caller.organization_id, *id)
        .await
        .map_err(ApiError::from_db("endpoint"))?;
    let listed = hookd_db::deliveries::list_by_endpoint(&client, *id, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// Try a delivery again now. 409 while a try of it is in flight; 422 when its message's
/// payload was expunged.
#[utoipa::path(tag = "deliveries",
    responses((status = 202, body = Delivery), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/deliveries/{delivery_id}/retry")]
async fn retry_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Accepted().json(retry_delivery(&state, &caller, *id).await?))
}

/// Makes a delivery of the caller's due now: the one path of the JSON route and the console.
pub async fn retry_delivery(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<Delivery, ApiError> {
    let client = state.client().await?;
    let delivery = hookd_db::deliveries::get_in_org(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("delivery"))?;
    if hookd_db::retention::is_expunged(&client, delivery.message_id).await? {
        return Err(ApiError::invalid(
            "the message's payload was expunged: it cannot be sent again",
        ));
    }
    hookd_db::deliveries::retry(&client, id)
        .await?
        .ok_or_else(|| ApiError::conflict("a try of this delivery is in flight"))
}

/// Retries the app's deliveries that match: the one path of the JSON route and the console.
pub async fn retry_deliveries(
    state: &AppState,
    caller: &Caller,
    app_id: Uuid,
    filter: &RetryFilter,
) -> Result<u64, ApiError> {
    check_app(state, caller, app_id).await?;
    let client = state.client().await?;
    Ok(hookd_db::deliveries::retry_matching(&client, app_id, filter).await?)
}

/// Which of the app's deliveries to retry; every field narrows the selection (an empty body
/// selects them all).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRetry {
    #[schema(value_type = Option<String>, example = "failed")]
    status: Option<DeliveryStatus>,
    endpoint_id: Option<Uuid>,
    event_type: Option<String>,
    created_at: Option<TimeRange>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    gte: Option<DateTime<Utc>>,
    lte: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct RetryCount {
    /// Deliveries scheduled again.
    count: u64,
}

/// Retry the app's deliveries that match a filter (those in flight are left alone).
#[utoipa::path(tag = "deliveries", request_body(content = Option<BulkRetry>),
    responses((status = 202, body = RetryCount), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/apps/{app_id}/deliveries/retry")]
async fn retry_bulk(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    body: body::OptionalJson<BulkRetry>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let filter = RetryFilter {
        status: b.status,
        endpoint_id: b.endpoint_id,
        event_type: b.event_type,
        created_gte: b.created_at.as_ref().and_then(|r| r.gte),
        created_lte: b.created_at.as_ref().and_then(|r| r.lte),
    };
    let count = retry_deliveries(&state, &caller, *app_id, &filter).await?;
    Ok(HttpResponse::Accepted().json(RetryCount { count }))
}
