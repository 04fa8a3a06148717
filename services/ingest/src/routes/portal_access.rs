//! Portal magic links (CONSOLE.md): minted per subscription, expiring, kept as SHA-256,
//! revocable all at once.

use crate::auth::Caller;
use crate::body;
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::routes::load_subscription;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

/// Link lifetimes, in seconds: one hour to one week (the default).
pub const MIN_EXPIRY: i64 = 3600;
pub const MAX_EXPIRY: i64 = 604_800;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create).service(expire_all);
}

/// A portal link to mint; no body means the defaults.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PortalAccessInput {
    /// Seconds the link stays valid, 3600 to 604800 (the default).
    pub expiry: Option<i64>,
    /// A read-only portal shows endpoints and messages but changes nothing.
    pub read_only: Option<bool>,
}

/// A minted link: `url` and `token` are shown this once (only a hash is kept).
#[derive(Serialize, ToSchema)]
pub struct PortalAccess {
    pub id: Uuid,
    pub url: String,
    pub token: String,
    pub read_only: bool,
    pub expires_at: DateTime<Utc>,
}

/// `hkp_` + base64url of 32 random bytes.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("hkp_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Link tokens are kept as SHA-256 (they are random and long: a fast hash is enough).
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Mints a portal link of a subscription: the one path of the JSON route and the console.
pub async fn create_portal_access(
    state: &AppState,
    caller: &Caller,
    subscription_id: Uuid,
    input: &PortalAccessInput,
) -> Result<PortalAccess, ApiError> {
    let sub = load_subscription(state, caller, subscription_id).await?;
    let expiry = input.expiry.unwrap_or(MAX_EXPIRY);
    if !(MIN_EXPIRY..=MAX_EXPIRY).contains(&expiry) {
        return Err(ApiError::invalid(format!(
            "expiry must be between {MIN_EXPIRY} and {MAX_EXPIRY} seconds"
        ))
        .with_data(serde_json::json!({ "field": "expiry" })));
    }
    let read_only = input.read_only.unwrap_or(false);
    let token = new_token();
    let client = state.client().await?;
    let link = hookd_db::portal::create_link(
        &client,
        sub.id,
        &hash_token(&token),
        read_only,
        Utc::now() + chrono::Duration::seconds(expiry),
    )
    .await
    .map_err(ApiError::from_db("subscription"))?;
    Ok(PortalAccess {
        id: link.id,
        url: format!("{}/portal/access?token={token}", state.public_url),
        token,
        read_only,
        expires_at: link.expires_at,
    })
}

/// Ends every portal link of a subscription and every session opened with one.
pub async fn expire_portal_access(
    state: &AppState,
    caller: &Caller,
    subscription_id: Uuid,
) -> Result<(), ApiError> {
    let sub = load_subscription(state, caller, subscription_id).await?;
    let client = state.client().await?;
    hookd_db::portal::expire_all(&client, sub.id).await?;
    Ok(())
}

/// Mint a portal link for a subscription (its subscriber manages their own endpoints).
#[utoipa::path(tag = "portal", request_body(content = Option<PortalAccessInput>),
    responses((status = 201, body = PortalAccess), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/subscriptions/{subscription_id}/portal_access")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    subscription_id: web::Path<Uuid>,
    body: body::OptionalJson<PortalAccessInput>,
) -> Result<HttpResponse, ApiError> {
    let access = create_portal_access(&state, &caller, *subscription_id, &body.0).await?;
    Ok(HttpResponse::Created().json(access))
}

/// End every portal link of the subscription, and the portal sessions opened with them.
#[utoipa::path(tag = "portal", responses((status = 204), (status = 404, body = ErrorBody)))]
#[post("/subscriptions/{subscription_id}/portal_access/expire_all")]
async fn expire_all(
    state: web::Data<AppState>,
    caller: Caller,
    subscription_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    expire_portal_access(&state, &caller, *subscription_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
