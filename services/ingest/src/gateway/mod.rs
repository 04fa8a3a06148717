//! The event gateway's management API (GATEWAY.md), Hookdeck's `2024-03-01` shape, served at
//! `/2024-03-01` with the keys and organizations of `/api/v1`. One file per resource.

mod auth_method;
mod bulk;
mod bulk_query;
pub mod bulk_worker;
mod cli_listen;
mod cli_relay;
mod connection_model;
pub mod connections;
pub mod destinations;
mod event_model;
mod events;
mod fields;
pub mod ids;
pub mod inbound;
mod list;
mod metrics;
mod request_events;
pub mod requests;
mod rules;
pub mod sources;
mod verification;
mod verify;

pub use metrics::GatewayMetrics;

use utoipa_actix_web::service_config::ServiceConfig;

/// The base path of the gateway API.
pub const BASE: &str = "/2024-03-01";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope(BASE)
            .configure(sources::configure)
            .configure(destinations::configure)
            .configure(connections::configure)
            .configure(requests::configure)
            .configure(request_events::configure)
            .configure(events::configure)
            .configure(bulk::configure)
            .configure(cli_listen::configure),
    );
}

/// The organization id as the gateway shows it (`team_id`).
pub fn team_id(organization_id: uuid::Uuid) -> String {
    organization_id.to_string()
}

/// `disable`/`archive` → true, `enable`/`unarchive` → false; another action is no route.
pub fn disable_action(action: &str) -> Result<bool, crate::error::ApiError> {
    match action {
        "disable" | "archive" => Ok(true),
        "enable" | "unarchive" => Ok(false),
        _ => Err(crate::error::ApiError::not_found("route")),
    }
}
