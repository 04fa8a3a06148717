use crate::auth::Caller;
use crate::body::{self, check_len, required};
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use hookd_domain::App;
use serde::Deserialize;
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

#[derive(Deserialize, ToSchema, Default)]
pub struct AppInput {
    pub name: Option<String>,
}

/// Creates an app: the one path of the JSON route and the console.
pub async fn create_app(
    state: &AppState,
    caller: &Caller,
    input: &AppInput,
) -> Result<App, ApiError> {
    let name = required(&input.name, "name")?;
    check_len(name, "name", 256)?;
    let mut client = state.client().await?;
    let tx = client
        .transaction()
        .await
        .map_err(hookd_db::DbError::from)?;
    crate::quotas::check(&tx, caller.organization_id, hookd_db::quotas::Quota::Apps).await?;
    let app = hookd_db::apps::create(&tx, caller.organization_id, name).await?;
    tx.commit().await.map_err(hookd_db::DbError::from)?;
    Ok(app)
}

/// Create an app. 422 naming the `apps` quota when the organization's plan allows no more.
#[utoipa::path(tag = "apps", request_body = AppInput,
    responses((status = 201, body = App), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/apps")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::Json<AppInput>,
) -> Result<HttpResponse, ApiError> {
    let app = create_app(&state, &caller, &body.0).await?;
    Ok(HttpResponse::Created().json(app))
}

/// List apps.
#[utoipa::path(tag = "apps", responses((status = 200, body = ListResponse<App>)))]
#[get("/apps")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<App>>, ApiError> {
    let q = ListQuery::parse(
        &req,
        &[
            ("created_at", "a.created_at", Kind::Time),
            ("name", "a.name", Kind::Text),
        ],
    )?;
    let client = state.client().await?;
    let listed = hookd_db::apps::list(&client, caller.organization_id, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// Get an app.
#[utoipa::path(tag = "apps", responses((status = 200, body = App), (status = 404, body = ErrorBody)))]
#[get("/apps/{app_id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
) -> Result<web::Json<App>, ApiError> {
    let client = state.client().await?;
    let app = hookd_db::apps::get(&client, caller.organization_id, *app_id)
        .await
        .map_err(ApiError::from_db("app"))?;
    Ok(web::Json(app))
}

/// Rename an app.
#[utoipa::path(tag = "apps", request_body = AppInput,
    responses((status = 200, body = App), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[patch("/apps/{app_id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    body: body::Json<AppInput>,
) -> Result<web::Json<App>, ApiError> {
    let client = state.client().await?;
    let app = match body.0.name {
        Some(ref n) => {
            let name = required(&Some(n.clone()), "name")?.to_owned();
            check_len(&name, "name", 256)?;
            hookd_db::apps::rename(&client, caller.organization_id, *app_id, &name).await
        }
        None => hookd_db::apps::get(&client, caller.organization_id, *app_id).await,
    }
    .map_err(ApiError::from_db("app"))?;
    Ok(web::Json(app))
}

/// Delete an app with everything it owns.
#[utoipa::path(tag = "apps", responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/apps/{app_id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let client = state.client().await?;
    hookd_db::apps::delete(&client, caller.organization_id, *app_id)
        .await
        .map_err(ApiError::from_db("app"))?;
    let id = *app_id;
    state.app_orgs.remove_where(|k| *k == id);
    state.schemas.remove_where(|(a, _)| *a == id);
    Ok(HttpResponse::NoContent().finish())
}
