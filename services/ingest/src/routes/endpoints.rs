use crate::auth::Caller;
use crate::body::{self, invalid_field};
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::routes::endpoint_input::parse_fields;
pub use crate::routes::endpoint_input::EndpointInput;
use crate::routes::load_subscription;
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use hookd_domain::Endpoint;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(get_secret)
        .service(rotate_secret);
}

/// The secret given (checked), or a new one.
pub(crate) fn secret_from(given: Option<String>) -> Result<String, ApiError> {
    match given {
        None => Ok(hookd_signing::generate_secret()),
        Some(s) => {
            hookd_signing::SigningKey::parse(&s)
                .map_err(|e| invalid_field("secret", format!("secret: {e}")))?;
            Ok(s)
        }
    }
}

async fn check_event_types(
    client: &hookd_db::Client,
    app_id: Uuid,
    types: &Option<Vec<String>>,
) -> Result<(), ApiError> {
    if let Some(types) = types {
        let missing = hookd_db::event_types::missing(client, app_id, types).await?;
        if !missing.is_empty() {
            return Err(ApiError::invalid(format!(
                "event type(s) not defined in this app: {}",
                missing.join(", ")
            ))
            .with_data(serde_json::json!({ "event_types": missing })));
        }
    }
    Ok(())
}

/// Create an endpoint of a subscription; the answer carries its `whsec_` secret.
#[utoipa::path(tag = "endpoints", request_body = EndpointInput,
    responses((status = 201, body = Endpoint), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/subscriptions/{subscription_id}/endpoints")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    subscription_id: web::Path<Uuid>,
    body: body::Json<EndpointInput>,
) -> Result<HttpResponse, ApiError> {
    let created = create_endpoint(&state, &caller, *subscription_id, body.0).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Creates an endpoint from its JSON fields: the one path of the JSON route, the console and
/// the portal. The answer carries the secret.
pub async fn create_endpoint(
    state: &AppState,
    caller: &Caller,
    subscription_id: Uuid,
    mut input: EndpointInput,
) -> Result<Endpoint, ApiError> {
    let sub = load_subscription(state, caller, subscription_id).await?;
    let secret = secret_from(std::mem::take(&mut input.secret).into_option())?;
    let fields = parse_fields(input)?;
    if fields.url.is_none() {
        return Err(invalid_field("url", "url is required"));
    }
    if fields.event_types.is_none() {
        return Err(invalid_field("event_types", "event_types is required"));
    }
    let mut client = state.client().await?;
    check_event_types(&client, sub.app_id, &fields.event_types).await?;
    let stored = state.cipher.seal(&secret);
    let tx = client
        .transaction()
        .await
        .map_err(hookd_db::DbError::from)?;
    let quota = hookd_db::quotas::Quota::Endpoints;
    crate::quotas::check(&tx, caller.organization_id, quota).await?;
    let mut created = hookd_db::endpoints::create(&tx, sub.id, sub.app_id, &fields, &stored)
        .await
        .map_err(ApiError::from_db("subscription"))?;
    tx.commit().await.map_err(hookd_db::DbError::from)?;
    created.secret = Some(secret);
    Ok(created)
}

/// An endpoint of one of the caller's subscriptions, without its secret.
pub async fn load_endpoint(
    state: &AppState,
    caller: &Caller,
    subscription_id: Uuid,
    id: Uuid,
) -> Result<Endpoint, ApiError> {
    load_subscription(state, caller, subscription_id).await?;
    let client = state.client().await?;
    hookd_db::endpoints::get(&client, subscription_id, id)
        .await
        .map_err(ApiError::from_db("endpoint"))
}

/// The signing secret of an endpoint of one of the caller's subscriptions: the one path of
/// the JSON route, the console and the portal.
pub async fn endpoint_secret(
    state: &AppState,
    caller: &Caller,
    subscription_id: Uuid,
    id: Uuid,
) -> Result<String, ApiError> {
    load_subscription(state, caller, subscription_id).await?;
    let client = state.client().await?;
    let sealed = hookd_db::endpoints::sealed_secret(&client, subscription_id, id)
        .await
        .map_err(ApiError::from_db("endpoint"))?;
    state.open_secret(id, &sealed)
}

/// Changes an endpoint from its JSON fields: the one path of the JSON route, the console and
/// the portal.
pub async fn update_endpoint(
    state: &AppState,
    caller: &Caller,
    subscription_id: Uuid,
    id: Uuid,
    input: EndpointInput,
) -> Result<Endpoint, ApiError> {
    let sub = load_subscription(state, caller, subscription_id).await?;
    if !input.secret.is_absent() {
        return Err(invalid_field(
            "secret",
            "change the secret with POST .../secret/rotate",
        ));
    }
    let fields = parse_fields(input)?;
    let client = state.client().await?;
    check_event_types(&client, sub.app_id, &fields.event_types).await?;
    hookd_db::endpoints::update(&client, subscription_id, id, &fields)
        .await
        .map_err(ApiError::from_db("endpoint"))
}

/// Deletes an endpoint: the one path of the JSON route, the console and the portal.
pub async fn delete_endpoint(
    state: &AppState,
    caller: &Caller,
    subscription_id: Uuid,
    id: Uuid,
) -> Result<(), ApiError> {
    load_subscription(state, caller, subscription_id).await?;
    let client = state.client().await?;
    hookd_db::endpoints::delete(&client, subscription_id, id)
        .await
        .map_err(ApiError::from_db("endpoint"))
}

/// Replaces the signing secret (a given `secret`, or a new one): the one path of the JSON
/// route, the console and the portal.
pub async fn rotate_endpoint_secret(
    state: &AppState,
    caller: &Caller,
    subscription_id: Uuid,
    id: Uuid,
    input: RotateSecret,
) -> Result<Endpoint, ApiError> {
    load_subscription(state, caller, subscription_id).await?;
    let secret = secret_from(input.secret)?;
    let grace = chrono::Duration::from_std(state.settings.endpoints.secret_rotation_grace)
        .unwrap_or_else(|_| chrono::Duration::hours(24));
    let client = state.client().await?;
    let mut rotated = hookd_db::endpoints::rotate_secret(
        &client,
        subscription_id,
        id,
        &state.cipher.seal(&secret),
        chrono::Utc::now() + grace,
    )
    .await
    .map_err(ApiError::from_db("endpoint"))?;
    rotated.secret = Some(secret);
    Ok(rotated)
}

/// List a subscription's endpoints.
#[utoipa::path(tag = "endpoints", responses((status = 200, body = ListResponse<Endpoint>)))]
#[get("/subscriptions/{subscription_id}/endpoints")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    subscription_id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<Endpoint>>, ApiError> {
    load_subscription(&state, &caller, *subscription_id).await?;
    let q = ListQuery::parse(
        &req,
        &[
            ("created_at", "n.created_at", Kind::Time),
            ("status", "n.status", Kind::OneOf(&["enabled", "disabled"])),
            ("version", "n.version", Kind::Text),
            ("url", "n.url", Kind::Text),
        ],
    )?;
    let client = state.client().await?;
    let listed = hookd_db::endpoints::list(&client, *subscription_id, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// Get an endpoint (without its secret: see `GET .../secret`).
#[utoipa::path(tag = "endpoints", responses((status = 200, body = Endpoint), (status = 404, body = ErrorBody)))]
#[get("/subscriptions/{subscription_id}/endpoints/{endpoint_id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<Endpoint>, ApiError> {
    let (sub_id, id) = path.into_inner();
    Ok(web::Json(load_endpoint(&state, &caller, sub_id, id).await?))
}

/// Change an endpoint (url, version, status, event types, description, headers).
#[utoipa::path(tag = "endpoints", request_body = EndpointInput,
    responses((status = 200, body = Endpoint), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/subscriptions/{subscription_id}/endpoints/{endpoint_id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: body::Json<EndpointInput>,
) -> Result<web::Json<Endpoint>, ApiError> {
    let (sub_id, id) = path.into_inner();
    Ok(web::Json(
        update_endpoint(&state, &caller, sub_id, id, body.0).await?,
    ))
}

/// Delete an endpoint.
#[utoipa::path(tag = "endpoints", responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/subscriptions/{subscription_id}/endpoints/{endpoint_id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (sub_id, id) = path.into_inner();
    delete_endpoint(&state, &caller, sub_id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An endpoint's signing secret.
#[derive(Serialize, ToSchema)]
pub struct EndpointSecret {
    /// `whsec_` + base64 of the key bytes.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// Get an endpoint's signing secret (GET and list answers leave it out).
#[utoipa::path(tag = "endpoints",
    responses((status = 200, body = EndpointSecret), (status = 404, body = ErrorBody)))]
#[get("/subscriptions/{subscription_id}/endpoints/{endpoint_id}/secret")]
async fn get_secret(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<EndpointSecret>, ApiError> {
    let (sub_id, id) = path.into_inner();
    let secret = endpoint_secret(&state, &caller, sub_id, id).await?;
    Ok(web::Json(EndpointSecret { secret }))
}

/// The body of a rotation; empty (or no body) generates the new secret.
#[derive(Default, Deserialize, ToSchema)]
pub struct RotateSecret {
    /// A `whsec_` secret of your own; generated when absent.
    pub secret: Option<String>,
}

/// Replace the signing secret. The previous secret keeps signing (both signatures are sent)
/// for the configured grace period, so receivers can switch without losing a webhook.
#[utoipa::path(tag = "endpoints", request_body(content = Option<RotateSecret>),
    responses((status = 200, body = Endpoint), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/subscriptions/{subscription_id}/endpoints/{endpoint_id}/secret/rotate")]
async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: body::OptionalJson<RotateSecret>,
) -> Result<web::Json<Endpoint>, ApiError> {
    let (sub_id, id) = path.into_inner();
    Ok(web::Json(
        rotate_endpoint_secret(&state, &caller, sub_id, id, body.0).await?,
    ))
}
