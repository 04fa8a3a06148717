//! `hookctl listen`'s two routes: the stream of a `cli` endpoint's deliveries, and the report
//! of each forward, recorded as an attempt like a worker's (success: delivered; failure: the
//! normal retry schedule).

use crate::auth::Caller;
use crate::body;
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use hookd_db::deliveries::AttemptRecord;
use hookd_domain::{DeliveryStatus, Endpoint, EndpointKind, EndpointStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(listen).service(report);
}

/// The caller's `cli` endpoint (404 for another organization's, 422 for an `http` one).
async fn cli_endpoint(state: &AppState, caller: &Caller, id: Uuid) -> Result<Endpoint, ApiError> {
    let client = state.client().await?;
    let endpoint = hookd_db::endpoints::get_in_org(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("endpoint"))?;
    if endpoint.kind != EndpointKind::Cli {
        return Err(ApiError::invalid(
            "only a cli endpoint (kind \"cli\") is delivered to hookctl listen",
        ));
    }
    Ok(endpoint)
}

/// Receive a `cli` endpoint's deliveries as they become due: a long-lived stream of JSON
/// objects, one per line (`application/x-ndjson`; blank lines keep it alive). The first line is
/// `{"type": "connected"}`; each `{"type": "delivery"}` line is a signed webhook to forward and
/// report. Deliveries wait while no stream is open, and what a stream held unreported when it
/// closed is handed out again: receivers deduplicate by `webhook-id`, as for any endpoint.
#[utoipa::path(tag = "endpoints",
    responses((status = 200, description = "The stream, one JSON object per line: \
            `{type: connected, endpoint_id}`, then `{type: delivery, delivery_id, message_id, \
            attempt, event_type, headers, body}` per webhook",
            content_type = "application/x-ndjson", body = String),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/endpoints/{endpoint_id}/listen")]
async fn listen(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let endpoint = cli_endpoint(&state, &caller, *id).await?;
    if endpoint.status != EndpointStatus::Enabled {
        return Err(ApiError::invalid("the endpoint is disabled"));
    }
    Ok(crate::relay::response(
        state.clone(),
        crate::relay_endpoint::EndpointFeed {
            endpoint_id: endpoint.id,
        },
        tracing::info_span!("ingest.cli_relay", endpoint_id = %endpoint.id),
    ))
}

/// What became of one forward by `hookctl listen`.
#[derive(Deserialize, ToSchema)]
pub struct ListenAttempt {
    /// The `delivery_id` of the stream's line.
    delivery_id: Uuid,
    /// The `attempt` of the stream's line.
    #[schema(minimum = 1)]
    attempt: i32,
    /// The local receiver's status code; absent when it did not answer.
    response_status: Option<u16>,
    /// The start of its answer (kept up to 4 KiB).
    response_body: Option<String>,
    /// Why there was no answer (connection refused, timeout).
    error: Option<String>,
    /// How long the forward took.
    #[serde(default)]
    #[schema(minimum = 0)]
    duration_ms: u32,
}

/// The delivery after a reported forward.
#[derive(Serialize, ToSchema)]
pub struct ListenAttemptRecorded {
    pub delivery_id: Uuid,
    /// `succeeded`, `pending` (a retry is scheduled) or `failed` (no tries left).
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Report one forward of a `cli` endpoint's delivery: recorded as an attempt; a 2xx delivers
/// it, anything else schedules the next try as for an `http` endpoint (or fails it when no tries
/// are left). A report of a try already recorded adds the attempt and moves nothing.
#[utoipa::path(tag = "endpoints", request_body = ListenAttempt,
    responses((status = 200, body = ListenAttemptRecorded), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[post("/endpoints/{endpoint_id}/listen/attempts")]
async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: body::Json<ListenAttempt>,
) -> Result<web::Json<ListenAttemptRecorded>, ApiError> {
    let input = body.0;
    crate::relay::check_report(input.attempt, input.response_status, input.error.as_deref())?;
    let endpoint = cli_endpoint(&state, &caller, *id).await?;
    let client = state.client().await?;
    let (message_id, task_id) =
        hookd_db::cli_relay::reported(&client, endpoint.id, input.delivery_id)
            .await?
            .ok_or_else(|| ApiError::not_found("delivery"))?;
    let succeeded = input
        .response_status
        .is_some_and(|s| (200..300).contains(&s));
    let delivery = &state.settings.delivery;
    let (status, next_attempt_at) = if succeeded {
        (DeliveryStatus::Succeeded, None)
    } else {
        match hookd_domain::next_delay(
            &delivery.retry_schedule,
            input.attempt as u32,
            None,
            delivery.max_retry_after,
        ) {
            Some(d) => (
                DeliveryStatus::Pending,
                Some(chrono::Utc::now() + chrono::Duration::from_std(d).unwrap_or_default()),
            ),
            None => (DeliveryStatus::Failed, None),
        }
    };
    let record = AttemptRecord {
        delivery_id: input.delivery_id,
        message_id,
        endpoint_id: endpoint.id,
        attempt: input.attempt,
        response_status: input.response_status.map(i32::from),
        response_body: input.response_body.map(crate::relay::first_4k),
        error: input.error.map(crate::relay::first_4k),
        duration_ms: input.duration_ms.min(i32::MAX as u32) as i32,
        status,
        next_attempt_at,
    };
    let settled = hookd_db::deliveries::record_attempts(&client, &[record]).await?;
    let finished = settled.iter().any(|s| s.delivery_id == input.delivery_id);
    if let (true, Some(task_id)) = (finished, task_id) {
        hookd_db::tasks::settle(&client, task_id).await?;
    }
    drop(client);
    let lanes: Vec<_> = settled.into_iter().filter_map(|s| s.lane).collect();
    if !lanes.is_empty() {
        // A fifo head settled: its lane's next delivery goes now (or the router's sweep does it).
        let lease = state.settings.delivery.lease;
        if let Err(e) =
            hookd_service::advance_lanes(&state.pool, &state.publisher, None, lanes, lease).await
        {
            tracing::warn!(delivery_id = %input.delivery_id, error = %e,
                "could not move the fifo lane on; the sweep will");
        }
    }
    tracing::info!(delivery_id = %input.delivery_id, %message_id, attempt = input.attempt,
        status = %status, "hookctl listen reported a forward");
    state
        .metrics
        .cli_attempts
        .with_label_values(&[if succeeded { "success" } else { "failure" }])
        .inc();
    Ok(web::Json(ListenAttemptRecorded {
        delivery_id: input.delivery_id,
        status,
        next_attempt_at,
    }))
}
