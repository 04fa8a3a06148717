use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde_json::json;

#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready when PostgreSQL answers and the broker connection is up.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match hookd_service::dependencies_ready(&state.pool, &state.publisher).await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(down) => HttpResponse::ServiceUnavailable()
            .json(json!({"status": "unavailable", "reason": down.to_string()})),
    }
}

#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(hookd_telemetry::metrics_text(&state.metrics.registry))
}
