use crate::auth::Caller;
use crate::body::{self, check_len, invalid_field, Nullable};
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::routes::load_subscription;
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use hookd_db::endpoints::EndpointFields;
use hookd_domain::{Endpoint, EndpointStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
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

/// An endpoint: where a subscriber receives webhooks. On create `url` and `event_types` are
/// required; on PATCH every field is optional and `null` clears `description` and `rate_limit`.
#[derive(Deserialize, ToSchema)]
pub struct EndpointInput {
    /// http(s) URL.
    url: Option<String>,
    /// Message version this endpoint receives, `1.0` by default.
    version: Option<String>,
    #[schema(example = "enabled")]
    status: Option<EndpointStatus>,
    /// Event types (defined in the app) this endpoint receives.
    event_types: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    description: Nullable<String>,
    /// Extra headers sent with every delivery.
    headers: Option<BTreeMap<String, String>>,
    /// A `whsec_` secret of your own; generated when absent. Create only: change it with
    /// `POST .../secret/rotate`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    secret: Nullable<String>,
    /// Deliveries per second at most (optional; `null` removes the limit).
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100000)]
    rate_limit: Nullable<i64>,
}

/// Header names hookd sets itself.
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "host",
    "user-agent",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "transfer-encoding",
    "connection",
];

fn parse_fields(input: EndpointInput) -> Result<EndpointFields, ApiError> {
    let mut f = EndpointFields::default();
    if let Some(url) = input.url.map(|u| u.trim().to_owned()) {
        let parsed = url::Url::parse(&url)
            .map_err(|e| invalid_field("url", format!("url is not valid: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(invalid_field(
                "url",
                "url must be an http(s) URL with a host",
            ));
        }
        check_len(&url, "url", 2048)?;
        f.url = Some(url);
    }
    if let Some(version) = input.version.map(|v| v.trim().to_owned()) {
        if version.is_empty() {
            return Err(invalid_field("version", "version must not be empty"));
        }
        check_len(&version, "version", 64)?;
        f.version = Some(version);
    }
    f.status = input.status;
    if let Some(mut types) = input.event_types {
        if types.iter().any(String::is_empty) {
            return Err(invalid_field(
                "event_types",
                "event_types must be a list of names",
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
        f.event_types = Some(types);
    }
    f.description = input.description.into_update();
    f.rate_limit = match input.rate_limit.into_update() {
        Some(Some(n)) if !(1..=100_000).contains(&n) => {
            return Err(invalid_field(
                "rate_limit",
                "rate_limit must be a whole number of deliveries per second, 1 to 100000",
            ))
        }
        limit => limit.map(|n| n.map(|n| n as i32)),
    };
    if let Some(headers) = input.headers {
        let mut map = Map::new();
        for (name, value) in headers {
            let lower = name.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&lower.as_str()) {
                return Err(invalid_field(
                    "headers",
                    format!("header {name} is set by hookd"),
                ));
            }
            let valid_name =
                actix_web::http::header::HeaderName::from_bytes(name.as_bytes()).is_ok();
            let valid_value = actix_web::http::header::HeaderValue::from_str(&value).is_ok();
            if !valid_name || !valid_value {
                return Err(invalid_field(
                    "headers",
                    format!("header {name} must be a valid header with a string value"),
                ));
            }
            map.insert(name, Value::String(value));
        }
        f.headers = Some(Value::Object(map));
    }
    Ok(f)
}

/// The secret given (checked), or a new one.
fn secret_from(given: Option<String>) -> Result<String, ApiError> {
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
