//! The organization's gateway signing secret: what `x-hookdeck-signature` is keyed by
//! (GATEWAY.md, Delivery). Made on first use, sealed at rest like endpoint secrets.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, post, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

/// After a rotation the previous secret also signs (`x-hookdeck-signature-2`) this long.
const PREVIOUS_GRACE_HOURS: i64 = 24;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_secret).service(rotate);
}

#[derive(Serialize, ToSchema)]
pub struct SigningSecret {
    /// The key of `x-hookdeck-signature` (base64 HMAC-SHA256 of the body, keyed by this text).
    pub secret: String,
}

fn open(state: &AppState, sealed: &str) -> Result<SigningSecret, ApiError> {
    let secret = state.cipher.open(sealed).map_err(|e| {
        tracing::error!(error = %e, "cannot open the gateway signing secret");
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )
    })?;
    Ok(SigningSecret { secret })
}

/// The organization's gateway signing secret (made on first use).
#[utoipa::path(tag = "gateway", responses((status = 200, body = SigningSecret), (status = 401, body = ErrorBody)))]
#[get("/gateway/signing_secret")]
async fn get_secret(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<SigningSecret>, ApiError> {
    let fresh = state.cipher.seal(&hookd_signing::generate_gateway_secret());
    let client = state.client().await?;
    let stored =
        hookd_db::gateway::signing::get_or_create(&client, caller.organization_id, &fresh).await?;
    Ok(web::Json(open(&state, &stored.secret)?))
}

/// Replaces the gateway signing secret; the old one keeps signing `x-hookdeck-signature-2`
/// for 24 hours.
#[utoipa::path(tag = "gateway", responses((status = 200, body = SigningSecret), (status = 401, body = ErrorBody)))]
#[post("/gateway/signing_secret/rotate")]
async fn rotate(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<SigningSecret>, ApiError> {
    let fresh = state.cipher.seal(&hookd_signing::generate_gateway_secret());
    let until = chrono::Utc::now() + chrono::Duration::hours(PREVIOUS_GRACE_HOURS);
    let client = state.client().await?;
    let stored =
        hookd_db::gateway::signing::rotate(&client, caller.organization_id, &fresh, until).await?;
    tracing::info!(organization_id = %caller.organization_id, revision = stored.revision,
        "gateway signing secret rotated");
    Ok(web::Json(open(&state, &stored.secret)?))
}
