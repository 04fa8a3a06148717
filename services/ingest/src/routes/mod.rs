//! One module per resource of API.md, all under `/api/v1`.

pub(crate) mod api_keys;
pub(crate) mod apps;
pub(crate) mod attempts;
pub(crate) mod deliveries;
mod endpoint_input;
pub(crate) mod endpoints;
mod event_type_examples;
pub(crate) mod event_types;
mod export;
mod gateway_signing;
mod import;
mod listen;
pub(crate) mod messages;
mod operational_webhook;
pub(crate) mod ordering;
mod organizations;
pub(crate) mod portal_access;
pub(crate) mod recovery;
pub(crate) mod stats;
pub(crate) mod subscriptions;
pub(crate) mod tasks;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use hookd_domain::Subscription;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("/api/v1")
            // actix tries routes in registration order: the hot path (message sends) first.
            .configure(messages::configure)
            .configure(organizations::configure)
            .configure(api_keys::configure)
            .configure(apps::configure)
            .configure(event_types::configure)
            .configure(export::configure)
            .configure(import::configure)
            .configure(subscriptions::configure)
            .configure(endpoints::configure)
            .configure(listen::configure)
            .configure(deliveries::configure)
            .configure(recovery::configure)
            .configure(attempts::configure)
            .configure(tasks::configure)
            .configure(portal_access::configure)
            .configure(stats::configure)
            .configure(ordering::configure)
            .configure(gateway_signing::configure)
            .configure(operational_webhook::configure),
    );
}

/// 404 unless the app belongs to the caller's organization (cached: read on every send).
pub async fn check_app(state: &AppState, caller: &Caller, app_id: Uuid) -> Result<(), ApiError> {
    if let Some(org) = state.app_orgs.get(&app_id) {
        return if org == caller.organization_id {
            Ok(())
        } else {
            Err(ApiError::not_found("app"))
        };
    }
    let client = state.client().await?;
    let app = hookd_db::apps::get(&client, caller.organization_id, app_id)
        .await
        .map_err(ApiError::from_db("app"))?;
    state.app_orgs.insert(app.id, caller.organization_id);
    Ok(())
}

/// The subscription, if it belongs to one of the caller's apps.
pub async fn load_subscription(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<Subscription, ApiError> {
    let client = state.client().await?;
    hookd_db::subscriptions::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("subscription"))
}
