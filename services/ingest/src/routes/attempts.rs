use crate::auth::Caller;
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, web, HttpRequest};
use hookd_domain::Attempt;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(by_delivery).service(by_endpoint);
}

const FILTERS: &[crate::list::Filterable] = &[
    ("created_at", "t.created_at", Kind::Time),
    ("delivery_id", "t.delivery_id", Kind::Uuid),
    ("message_id", "t.message_id", Kind::Uuid),
    ("attempt", "t.attempt", Kind::Int),
    ("response_status", "t.response_status", Kind::Int),
    ("duration_ms", "t.duration_ms", Kind::Int),
];

/// List a delivery's attempts (one per HTTP try).
#[utoipa::path(tag = "attempts", responses((status = 200, body = ListResponse<Attempt>), (status = 404, body = ErrorBody)))]
#[get("/deliveries/{delivery_id}/attempts")]
async fn by_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<Attempt>>, ApiError> {
    let q = ListQuery::parse(&req, FILTERS)?;
    let client = state.client().await?;
    hookd_db::deliveries::get_in_org(&client, caller.organization_id, *id)
        .await
        .map_err(ApiError::from_db("delivery"))?;
    let listed = hookd_db::attempts::list_by_delivery(&client, *id, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// List an endpoint's attempts.
#[utoipa::path(tag = "attempts", responses((status = 200, body = ListResponse<Attempt>), (status = 404, body = ErrorBody)))]
#[get("/endpoints/{endpoint_id}/attempts")]
async fn by_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<Attempt>>, ApiError> {
    let q = ListQuery::parse(&req, FILTERS)?;
    let client = state.client().await?;
    hookd_db::endpoints::get_in_org(&client, caller.organization_id, *id)
        .await
        .map_err(ApiError::from_db("endpoint"))?;
    let listed = hookd_db::attempts::list_by_endpoint(&client, *id, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}
