//! The organization's operational webhook (Svix's name): a URL told when its endpoints are
//! disabled, start failing or recover, when a delivery runs out of tries and when a task
//! fails. One per organization, under the caller's key; signed like every webhook.

use crate::auth::Caller;
use crate::body::{self, invalid_field};
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::routes::endpoint_input::parse_url;
use crate::routes::endpoints::{secret_from, EndpointSecret, RotateSecret};
use crate::state::AppState;
use actix_web::{delete, get, post, put, web, HttpResponse};
use hookd_domain::{OperationalWebhook, OPERATIONAL_EVENT_TYPES};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_one)
        .service(put_one)
        .service(remove)
        .service(get_secret)
        .service(rotate_secret);
}

/// The operational webhook: where hookd tells the organization about its own webhooks.
#[derive(Deserialize, ToSchema)]
pub struct OperationalWebhookInput {
    /// http(s) URL.
    #[schema(example = "https://ops.example.com/hookd")]
    url: String,
    /// Among `endpoint.disabled` (`data.trigger`: `automatic` or `manual`),
    /// `endpoint.enabled`, `endpoint.failing`, `endpoint.recovered`, `delivery.exhausted`,
    /// `task.failed`; all of them when absent.
    #[schema(example = json!(["endpoint.disabled", "delivery.exhausted"]))]
    event_types: Option<Vec<String>>,
    /// A `whsec_` secret of your own when it is created; generated when absent. Change it
    /// with `POST /operational_webhook/secret/rotate`.
    secret: Option<String>,
}

fn event_types(given: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let Some(mut types) = given else {
        return Ok(OPERATIONAL_EVENT_TYPES
            .iter()
            .map(|t| (*t).to_owned())
            .collect());
    };
    if let Some(unknown) = types
        .iter()
        .find(|t| !OPERATIONAL_EVENT_TYPES.contains(&t.as_str()))
    {
        return Err(ApiError::invalid(format!(
            "event_types: {unknown} is not an operational event type (one of {})",
            OPERATIONAL_EVENT_TYPES.join(", ")
        ))
        .with_data(
            serde_json::json!({"field": "event_types", "allowed": OPERATIONAL_EVENT_TYPES}),
        ));
    }
    types.sort();
    types.dedup();
    if types.is_empty() {
        return Err(invalid_field(
            "event_types",
            "event_types must name at least one event type",
        ));
    }
    Ok(types)
}

/// Get the organization's operational webhook (404 when none is set).
#[utoipa::path(tag = "operational_webhook",
    responses((status = 200, body = OperationalWebhook), (status = 404, body = ErrorBody)))]
#[get("/operational_webhook")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<OperationalWebhook>, ApiError> {
    let client = state.client().await?;
    let found = hookd_db::operational::get(&client, caller.organization_id)
        .await
        .map_err(ApiError::from_db("operational webhook"))?;
    Ok(web::Json(found))
}

/// Set the operational webhook: creates it (`201`, the answer carries its `whsec_` secret) or
/// changes its URL and event types and enables it again (`200`).
#[utoipa::path(tag = "operational_webhook", request_body = OperationalWebhookInput,
    responses((status = 201, body = OperationalWebhook), (status = 200, body = OperationalWebhook),
        (status = 422, body = ErrorBody)))]
#[put("/operational_webhook")]
async fn put_one(
    state: web::Data<AppState>,
    caller: Caller,
    input: body::Json<OperationalWebhookInput>,
) -> Result<HttpResponse, ApiError> {
    let input = input.0;
    let url = parse_url(&input.url)?;
    let types = event_types(input.event_types)?;
    let secret = secret_from(input.secret.clone())?;
    let mut client = state.client().await?;
    let tx = client
        .transaction()
        .await
        .map_err(hookd_db::DbError::from)?;
    let existing = hookd_db::operational::get(&tx, caller.organization_id).await;
    if existing.is_ok() && input.secret.is_some() {
        return Err(invalid_field(
            "secret",
            "change the secret with POST /operational_webhook/secret/rotate",
        ));
    }
    let (mut hook, created) = hookd_db::operational::put(
        &tx,
        caller.organization_id,
        &url,
        &types,
        &state.cipher.seal(&secret),
    )
    .await?;
    tx.commit().await.map_err(hookd_db::DbError::from)?;
    tracing::info!(organization_id = %caller.organization_id, endpoint_id = %hook.endpoint_id,
        created, "operational webhook set");
    if created {
        hook.secret = Some(secret);
        Ok(HttpResponse::Created().json(hook))
    } else {
        Ok(HttpResponse::Ok().json(hook))
    }
}

/// Remove the operational webhook (and the record of what it was sent).
#[utoipa::path(tag = "operational_webhook",
    responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/operational_webhook")]
async fn remove(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let client = state.client().await?;
    hookd_db::operational::delete(&client, caller.organization_id)
        .await
        .map_err(ApiError::from_db("operational webhook"))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Get the operational webhook's signing secret (GET answers leave it out).
#[utoipa::path(tag = "operational_webhook",
    responses((status = 200, body = EndpointSecret), (status = 404, body = ErrorBody)))]
#[get("/operational_webhook/secret")]
async fn get_secret(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<EndpointSecret>, ApiError> {
    let client = state.client().await?;
    let (_, endpoint_id, sealed) =
        hookd_db::operational::sealed_secret(&client, caller.organization_id)
            .await
            .map_err(ApiError::from_db("operational webhook"))?;
    let secret = state.open_secret(endpoint_id, &sealed)?;
    Ok(web::Json(EndpointSecret { secret }))
}

/// Replace the operational webhook's signing secret; the previous one keeps signing (both
/// signatures are sent) for the configured grace period.
#[utoipa::path(tag = "operational_webhook", request_body(content = Option<RotateSecret>),
    responses((status = 200, body = EndpointSecret), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/operational_webhook/secret/rotate")]
async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::OptionalJson<RotateSecret>,
) -> Result<web::Json<EndpointSecret>, ApiError> {
    let secret = secret_from(body.0.secret)?;
    let grace = chrono::Duration::from_std(state.settings.endpoints.secret_rotation_grace)
        .unwrap_or_else(|_| chrono::Duration::hours(24));
    let client = state.client().await?;
    let (subscription_id, endpoint_id, _) =
        hookd_db::operational::sealed_secret(&client, caller.organization_id)
            .await
            .map_err(ApiError::from_db("operational webhook"))?;
    hookd_db::endpoints::rotate_secret(
        &client,
        subscription_id,
        endpoint_id,
        &state.cipher.seal(&secret),
        chrono::Utc::now() + grace,
    )
    .await
    .map_err(ApiError::from_db("operational webhook"))?;
    Ok(web::Json(EndpointSecret { secret }))
}
