use crate::auth::{generate_api_key, hash_api_key, Caller};
use crate::body::{self, check_len, required};
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use hookd_domain::Organization;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create).service(list);
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
