use crate::auth::Caller;
use crate::body::{self, check_len, required};
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::routes::{check_app, load_subscription};
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use hookd_domain::Subscription;
use serde::Deserialize;
use serde_json::Value;
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
pub struct SubscriptionInput {
    pub name: Option<String>,
    /// Any JSON object of yours.
    pub metadata: Option<Value>,
}

pub(crate) fn check_metadata(metadata: &Option<Value>) -> Result<(), ApiError> {
    match metadata {
        None | Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(ApiError::invalid("metadata must be an object")),
    }
}

/// Create a subscription (a subscriber of the app).
#[utoipa::path(tag = "subscriptions", request_body = SubscriptionInput,
    responses((status = 201, body = Subscription), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/apps/{app_id}/subscriptions")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    body: body::Json<SubscriptionInput>,
) -> Result<HttpResponse, ApiError> {
    let created = create_subscription(&state, &caller, *app_id, &body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Creates a subscription: the one path of the JSON route and the console.
pub async fn create_subscription(
    state: &AppState,
    caller: &Caller,
    app_id: Uuid,
    input: &SubscriptionInput,
) -> Result<Subscription, ApiError> {
    check_app(state, caller, app_id).await?;
    let name = required(&input.name, "name")?;
    check_len(name, "name", 256)?;
    check_metadata(&input.metadata)?;
    let metadata = input
        .metadata
        .clone()
        .unwrap_or_else(|| Value::Object(Default::default()));
    let client = state.client().await?;
    hookd_db::subscriptions::create(&client, app_id, name, &metadata)
        .await
        .map_err(ApiError::from_db("app"))
}

/// List the app's subscriptions.
#[utoipa::path(tag = "subscriptions", responses((status = 200, body = ListResponse<Subscription>)))]
#[get("/apps/{app_id}/subscriptions")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<Subscription>>, ApiError> {
    check_app(&state, &caller, *app_id).await?;
    let q = ListQuery::parse(
        &req,
        &[
            ("created_at", "s.created_at", Kind::Time),
            ("name", "s.name", Kind::Text),
        ],
    )?;
    let client = state.client().await?;
    let listed = hookd_db::subscriptions::list(&client, *app_id, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// Get a subscription.
#[utoipa::path(tag = "subscriptions", responses((status = 200, body = Subscription), (status = 404, body = ErrorBody)))]
#[get("/subscriptions/{subscription_id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Subscription>, ApiError> {
    Ok(web::Json(load_subscription(&state, &caller, *id).await?))
}

/// Change a subscription's name or metadata.
#[utoipa::path(tag = "subscriptions", request_body = SubscriptionInput,
    responses((status = 200, body = Subscription), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[patch("/subscriptions/{subscription_id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: body::Json<SubscriptionInput>,
) -> Result<web::Json<Subscription>, ApiError> {
    load_subscription(&state, &caller, *id).await?;
    let input = body.0;
    if input.name.is_some() {
        let name = required(&input.name, "name")?;
        check_len(name, "name", 256)?;
    }
    check_metadata(&input.metadata)?;
    let client = state.client().await?;
    let name = input.name.as_deref().map(str::trim);
    let updated = hookd_db::subscriptions::update(&client, *id, name, input.metadata.as_ref())
        .await
        .map_err(ApiError::from_db("subscription"))?;
    Ok(web::Json(updated))
}

/// Delete a subscription and its endpoints.
#[utoipa::path(tag = "subscriptions", responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/subscriptions/{subscription_id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    load_subscription(&state, &caller, *id).await?;
    let client = state.client().await?;
    hookd_db::subscriptions::delete(&client, *id)
        .await
        .map_err(ApiError::from_db("subscription"))?;
    Ok(HttpResponse::NoContent().finish())
}
