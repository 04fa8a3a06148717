use crate::auth::{generate_api_key, hash_api_key, Caller};
use crate::body::{self, check_len, invalid_field, required, Nullable};
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use hookd_domain::Organization;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove);
}

#[derive(Deserialize, ToSchema)]
pub struct CreateOrganization {
    name: Option<String>,
}

/// A new organization with its first API key (shown once).
#[derive(Serialize, ToSchema)]
pub struct CreatedOrganization {
    id: Uuid,
    name: String,
    api_key: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// Create an organization (admin key only).
#[utoipa::path(tag = "organizations", request_body = CreateOrganization,
    responses((status = 201, body = CreatedOrganization),
        (status = 403, body = ErrorBody, description = "Only the admin key manages organizations."),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/organizations")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::Json<CreateOrganization>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let name = required(&body.0.name, "name")?;
    check_len(name, "name", 256)?;
    let mut client = state.client().await?;
    let tx = client
        .transaction()
        .await
        .map_err(hookd_db::DbError::from)?;
    let org = hookd_db::organizations::create(&tx, name).await?;
    let key = generate_api_key();
    hookd_db::api_keys::create(&tx, org.id, "default", &hash_api_key(&key), false).await?;
    tx.commit().await.map_err(hookd_db::DbError::from)?;
    Ok(HttpResponse::Created().json(CreatedOrganization {
        id: org.id,
        name: org.name,
        api_key: key,
        created_at: org.created_at,
    }))
}

/// List organizations (admin key only).
#[utoipa::path(tag = "organizations",
    responses((status = 200, body = ListResponse<Organization>),
        (status = 403, body = ErrorBody, description = "Only the admin key manages organizations.")))]
#[get("/organizations")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<Organization>>, ApiError> {
    caller.require_admin()?;
    let q = ListQuery::parse(
        &req,
        &[
            ("created_at", "o.created_at", Kind::Time),
            ("name", "o.name", Kind::Text),
        ],
    )?;
    let client = state.client().await?;
    let listed = hookd_db::organizations::list(&client, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// Loads an organization for the admin key.
async fn load(state: &AppState, id: Uuid) -> Result<Organization, ApiError> {
    let client = state.client().await?;
    hookd_db::organizations::get(&client, id)
        .await
        .map_err(ApiError::from_db("organization"))
}

/// Get an organization, with its retention and quotas (admin key only).
#[utoipa::path(tag = "organizations",
    responses((status = 200, body = Organization), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Only the admin key manages organizations.")))]
#[get("/organizations/{organization_id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Organization>, ApiError> {
    caller.require_admin()?;
    Ok(web::Json(load(&state, *id).await?))
}

/// The plan's limits to change: an absent field is left as it is, `null` removes the limit.
#[derive(Deserialize, ToSchema, Default)]
pub struct QuotasInput {
    /// Messages accepted per UTC day; past it sends get 429.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 2147483647)]
    messages_per_day: Nullable<i64>,
    /// Endpoints across all apps; past it creating one gets 422.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 2147483647)]
    endpoints: Nullable<i64>,
    /// Apps; past it creating one gets 422.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 2147483647)]
    apps: Nullable<i64>,
}

/// An organization's retention and plan to change; absent fields are left as they are.
#[derive(Deserialize, ToSchema)]
pub struct UpdateOrganization {
    /// Days message payloads (and attempt response bodies) are kept, 1 to 36500; `null`: the
    /// installation's default (`retention.payload_days`).
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 36500)]
    payload_retention_days: Nullable<i64>,
    quotas: Option<QuotasInput>,
}

/// A field of `UpdateOrganization` checked: `None` absent, `Some(None)` null.
fn bounded(
    value: Nullable<i64>,
    field: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<Option<i32>>, ApiError> {
    match value.into_update() {
        Some(Some(n)) if !range.contains(&n) => Err(invalid_field(
            field,
            format!(
                "{field} must be a whole number from {} to {}, or null",
                range.start(),
                range.end()
            ),
        )),
        other => Ok(other.map(|v| v.map(|n| n as i32))),
    }
}

/// Change an organization's payload retention and plan quotas (admin key only).
#[utoipa::path(tag = "organizations", request_body = UpdateOrganization,
    responses((status = 200, body = Organization), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Only the admin key manages organizations."),
        (status = 409, body = ErrorBody, description = "The organization is being deleted."),
        (status = 422, body = ErrorBody)))]
#[patch("/organizations/{organization_id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: body::Json<UpdateOrganization>,
) -> Result<web::Json<Organization>, ApiError> {
    caller.require_admin()?;
    let input = body.0;
    let quotas = input.quotas.unwrap_or_default();
    let whole = 0..=i64::from(i32::MAX);
    let u = hookd_db::organizations::PlanUpdate {
        payload_retention_days: bounded(
            input.payload_retention_days,
            "payload_retention_days",
            1..=36500,
        )?,
        max_messages_per_day: bounded(
            quotas.messages_per_day,
            "quotas.messages_per_day",
            whole.clone(),
        )?,
        max_endpoints: bounded(quotas.endpoints, "quotas.endpoints", whole.clone())?,
        max_apps: bounded(quotas.apps, "quotas.apps", whole)?,
    };
    if load(&state, *id).await?.deleting_at.is_some() {
        return Err(ApiError::conflict("the organization is being deleted"));
    }
    let client = state.client().await?;
    let org = hookd_db::organizations::update_plan(&client, *id, &u)
        .await
        .map_err(ApiError::from_db("organization"))?;
    // This replica at once; the others within their cache's few seconds.
    state.message_quotas.remove_where(|org_id| *org_id == *id);
    Ok(web::Json(org))
}

/// Delete an organization and all its data (admin key only). Its API keys are refused at once
/// and its portal links and gateway sources stop serving; its data is then removed in batches
/// in the background (`deleting_at` is set until the organization is gone). 202 with the
/// organization; asking again changes nothing. The admin key's own organization cannot be
/// deleted.
#[utoipa::path(tag = "organizations",
    responses((status = 202, body = Organization), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Only the admin key manages organizations."),
        (status = 422, body = ErrorBody, description = "The admin key's own organization.")))]
#[delete("/organizations/{organization_id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    if *id == state.default_org || *id == caller.organization_id {
        return Err(ApiError::invalid(
            "the admin key's own organization cannot be deleted",
        ));
    }
    let mut client = state.client().await?;
    let tx = client
        .transaction()
        .await
        .map_err(hookd_db::DbError::from)?;
    let org = hookd_db::organizations::mark_deleting(&tx, *id)
        .await
        .map_err(ApiError::from_db("organization"))?;
    tx.commit().await.map_err(hookd_db::DbError::from)?;
    // Every replica forgets its cached keys on the trigger's NOTIFY; this one at once.
    state.keys.remove_where(|_| true);
    tracing::info!(organization_id = %org.id, "organization marked for deletion");
    Ok(HttpResponse::Accepted().json(org))
}
