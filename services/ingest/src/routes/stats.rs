//! Delivery health of an app or an endpoint (CONSOLE.md): attempts, success rate and latency
//! over the last hour (12 × 5 min) or day (24 × 1 h).

use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::routes::check_app;
use crate::state::AppState;
use actix_web::{get, web, HttpRequest};
use chrono::{DateTime, Utc};
use hookd_db::stats::{Figures, Subject};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(app).service(endpoint);
}

/// A window of the stats: `1h` (12 buckets of 5 minutes) or `24h` (24 buckets of an hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Hour,
    Day,
}

impl Window {
    pub fn parse(text: Option<&str>) -> Result<Self, ApiError> {
        match text {
            None | Some("1h") => Ok(Window::Hour),
            Some("24h") => Ok(Window::Day),
            Some(_) => Err(ApiError::invalid("window must be 1h or 24h")
                .with_data(serde_json::json!({ "field": "window" }))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Window::Hour => "1h",
            Window::Day => "24h",
        }
    }

    /// (bucket seconds, bucket count)
    pub fn buckets(self) -> (i64, i64) {
        match self {
            Window::Hour => (300, 12),
            Window::Day => (3600, 24),
        }
    }

    fn from_query(req: &HttpRequest) -> Result<Self, ApiError> {
        let given = url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, _)| k == "window")
            .map(|(_, v)| v.into_owned());
        Self::parse(given.as_deref())
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsBucket {
    pub start: DateTime<Utc>,
    pub attempts: i64,
    pub succeeded: i64,
    pub failed: i64,
    /// Median attempt duration; `null` without attempts.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsTotals {
    pub attempts: i64,
    pub succeeded: i64,
    pub failed: i64,
    /// Succeeded attempts / attempts, 0 to 1; `null` without attempts.
    pub success_rate: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

/// Attempts (a 2xx answer is a success) and their duration over the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    pub window: String,
    pub bucket_seconds: i64,
    pub totals: StatsTotals,
    pub buckets: Vec<StatsBucket>,
}

pub fn success_rate(f: &Figures) -> Option<f64> {
    (f.attempts > 0).then(|| f.succeeded as f64 / f.attempts as f64)
}

async fn stats(state: &AppState, subject: Subject, window: Window) -> Result<Stats, ApiError> {
    let (bucket_seconds, count) = window.buckets();
    let client = state.client().await?;
    let (total, buckets) =
        hookd_db::stats::window(&client, subject, Utc::now(), bucket_seconds, count).await?;
    Ok(Stats {
        window: window.name().to_owned(),
        bucket_seconds,
        totals: StatsTotals {
            attempts: total.attempts,
            succeeded: total.succeeded,
            failed: total.attempts - total.succeeded,
            success_rate: success_rate(&total),
            p50_ms: total.p50_ms,
            p95_ms: total.p95_ms,
        },
        buckets: buckets
            .into_iter()
            .map(|(start, f)| StatsBucket {
                start,
                attempts: f.attempts,
                succeeded: f.succeeded,
                failed: f.attempts - f.succeeded,
                p50_ms: f.p50_ms,
                p95_ms: f.p95_ms,
            })
            .collect(),
    })
}

/// The stats of an app: the one path of the JSON route and the console's health page.
pub async fn app_stats(
    state: &AppState,
    caller: &Caller,
    app_id: Uuid,
    window: Window,
) -> Result<Stats, ApiError> {
    check_app(state, caller, app_id).await?;
    stats(state, Subject::App(app_id), window).await
}

/// The stats of an endpoint of the caller's: the one path of the JSON route and the pages.
pub async fn endpoint_stats(
    state: &AppState,
    caller: &Caller,
    endpoint_id: Uuid,
    window: Window,
) -> Result<Stats, ApiError> {
    let client = state.client().await?;
    hookd_db::endpoints::get_in_org(&client, caller.organization_id, endpoint_id)
        .await
        .map_err(ApiError::from_db("endpoint"))?;
    drop(client);
    stats(state, Subject::Endpoint(endpoint_id), window).await
}

/// Delivery health of an app: attempts, success rate and latency per bucket.
#[utoipa::path(tag = "stats",
    params(("window" = Option<String>, Query, description = "1h (12 buckets of 5 minutes, the default) or 24h (24 buckets of an hour)")),
    responses((status = 200, body = Stats), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/apps/{app_id}/stats")]
async fn app(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<Stats>, ApiError> {
    let window = Window::from_query(&req)?;
    Ok(web::Json(
        app_stats(&state, &caller, *app_id, window).await?,
    ))
}

/// Delivery health of an endpoint: attempts, success rate and latency per bucket.
#[utoipa::path(tag = "stats",
    params(("window" = Option<String>, Query, description = "1h (12 buckets of 5 minutes, the default) or 24h (24 buckets of an hour)")),
    responses((status = 200, body = Stats), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/endpoints/{endpoint_id}/stats")]
async fn endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    endpoint_id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<Stats>, ApiError> {
    let window = Window::from_query(&req)?;
    Ok(web::Json(
        endpoint_stats(&state, &caller, *endpoint_id, window).await?,
    ))
}
