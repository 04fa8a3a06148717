//! What waits in an endpoint's fifo lanes (issue 18): per lane, how many deliveries are behind
//! its head, and the head's message and state.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use hookd_domain::EndpointOrdering;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(endpoint_ordering_route);
}

/// Lanes shown at most, longest queue first.
const MAX_LANES: i64 = 100;

/// An endpoint's ordering and its unsettled lanes.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointOrderingState {
    pub endpoint_id: Uuid,
    pub ordering: EndpointOrdering,
    pub ordering_key: Option<String>,
    /// Lanes with a delivery not settled yet, longest queue first (at most 100).
    pub lanes: Vec<LaneView>,
}

/// One lane: its head (the delivery being tried) and how many wait behind it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LaneView {
    /// The `ordering_key` value as JSON text (`"c1"` with quotes for a string), or `null` for
    /// the shared lane of messages without one.
    pub key: Option<String>,
    /// Deliveries waiting behind the head.
    pub waiting: i64,
    pub head_delivery_id: Uuid,
    pub head_message_id: Uuid,
    /// `pending`: being tried (see `head_attempt_count`, `head_next_attempt_at`); `waiting`:
    /// about to go (an older message is still being routed, or the sweep promotes it).
    #[schema(example = "pending")]
    pub head_status: String,
    pub head_attempt_count: i32,
    /// When its next try is due (or, while a job is on the bus, when that job's lease ends).
    pub head_next_attempt_at: Option<DateTime<Utc>>,
}

/// The ordering state of one of the organization's endpoints: the one path of the JSON route
/// and the console.
pub async fn endpoint_ordering(
    state: &AppState,
    caller: &Caller,
    endpoint_id: Uuid,
) -> Result<EndpointOrderingState, ApiError> {
    let client = state.client().await?;
    let endpoint = hookd_db::endpoints::get_in_org(&client, caller.organization_id, endpoint_id)
        .await
        .map_err(ApiError::from_db("endpoint"))?;
    let lanes = hookd_db::lanes::lane_states(&client, endpoint_id, MAX_LANES).await?;
    Ok(EndpointOrderingState {
        endpoint_id,
        ordering: endpoint.ordering,
        ordering_key: endpoint.ordering_key,
        lanes: lanes
            .into_iter()
            .map(|l| LaneView {
                key: (l.lane != hookd_domain::SHARED_LANE).then_some(l.lane),
                waiting: l.waiting,
                head_delivery_id: l.head_delivery_id,
                head_message_id: l.head_message_id,
                head_status: if l.head_waiting { "waiting" } else { "pending" }.to_owned(),
                head_attempt_count: l.head_attempt_count,
                head_next_attempt_at: l.head_next_attempt_at,
            })
            .collect(),
    })
}

/// What waits behind the head of each fifo lane of an endpoint.
#[utoipa::path(tag = "endpoints",
    responses((status = 200, body = EndpointOrderingState), (status = 404, body = ErrorBody)))]
#[get("/endpoints/{endpoint_id}/ordering")]
async fn endpoint_ordering_route(
    state: web::Data<AppState>,
    caller: Caller,
    endpoint_id: web::Path<Uuid>,
) -> Result<web::Json<EndpointOrderingState>, ApiError> {
    Ok(web::Json(
        endpoint_ordering(&state, &caller, *endpoint_id).await?,
    ))
}
