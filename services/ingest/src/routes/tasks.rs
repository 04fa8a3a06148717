//! Scheduled tasks (HostedHooks' Tasks API): `data` delivered at `scheduled_run_time` to the
//! app's endpoints subscribed to `event_type`, like a message of version `1.0`. The routes
//! only store and cancel; the router's scheduler starts due tasks.

use crate::auth::Caller;
use crate::body::{self, check_len, invalid_field};
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::routes::check_app;
use crate::state::AppState;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset, Utc};
use hookd_db::tasks::{Cancel, NewTask};
use hookd_domain::Task;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(cancel);
}

/// A task to schedule.
#[derive(Deserialize, ToSchema)]
pub struct CreateTask {
    /// Such as `user.created`: the task goes to the endpoints subscribed to it.
    #[schema(required = true)]
    event_type: Option<String>,
    /// Any JSON value but `null`: the webhook's `data`.
    #[schema(required = true)]
    data: Option<Value>,
    /// ISO 8601 with an offset (`2026-12-01T09:00:00Z`, `...+01:00`); absent or in the past:
    /// the task runs now. Stored and answered in UTC.
    #[schema(format = DateTime, example = "2026-12-01T09:00:00Z")]
    scheduled_run_time: Option<String>,
}

/// An ISO 8601 date and time with an offset: RFC 3339 (`Z`, `+01:00`, a space for the `T`)
/// or the basic offset form (`+0100`). A time without an offset is refused rather than
/// guessed.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"]
                .iter()
                .find_map(|f| DateTime::<FixedOffset>::parse_from_str(s, f).ok())
        })
        .map(|t| t.with_timezone(&Utc))
        // PostgreSQL keeps microseconds; answer what is stored.
        .and_then(|t| DateTime::from_timestamp_micros(t.timestamp_micros()))
}

fn parse_input(app_id: Uuid, body: CreateTask) -> Result<NewTask, ApiError> {
    let event_type = match body.event_type {
        Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
        None => return Err(invalid_field("event_type", "event_type is required")),
        Some(_) => {
            return Err(invalid_field(
                "event_type",
                "event_type must be a non-empty string",
            ))
        }
    };
    check_len(&event_type, "event_type", 256)?;
    let data = body
        .data
        .ok_or_else(|| invalid_field("data", "data is required"))?;
    let scheduled_run_time = match body.scheduled_run_time {
        None => None,
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(parse_time(&s).ok_or_else(|| {
            invalid_field(
                "scheduled_run_time",
                "scheduled_run_time must be an ISO 8601 time with an offset, \
                 such as 2026-12-01T09:00:00Z",
            )
        })?),
    };
    Ok(NewTask {
        app_id,
        event_type,
        data,
        scheduled_run_time,
    })
}

/// Schedule a task: its `data` is delivered at `scheduled_run_time` (now when absent or past)
/// to the app's enabled endpoints of version `1.0` subscribed to `event_type`. `status` is
/// `null` until it runs, then `running`, then `completed` or `failed`.
#[utoipa::path(tag = "tasks", request_body = CreateTask,
    responses((status = 201, body = Task), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[post("/apps/{app_id}/tasks")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    body: body::Json<CreateTask>,
) -> Result<HttpResponse, ApiError> {
    let input = parse_input(*app_id, body.0)?;
    check_app(&state, &caller, *app_id).await?;
    // Delivered as a message of the event type, so it must satisfy the type's schema: better
    // refused now than delivered wrong later.
    crate::schemas::check_data(
        &state,
        input.app_id,
        &input.event_type,
        hookd_domain::DEFAULT_VERSION,
        &input.data,
    )
    .await?;
    let client = state.client().await?;
    let task = hookd_db::tasks::create(&client, &input)
        .await
        .map_err(ApiError::from_db("app"))?;
    Ok(HttpResponse::Created().json(task))
}

/// List the app's tasks. Filters: `status` (`running`, `completed`, `failed`, `cancelled`, or
/// `null` for tasks that have not run), `event_type`, `endpoint_id`, and
/// `scheduled_run_time` / `created_at` with `[gte]`, `[gt]`, `[lte]`, `[lt]`.
#[utoipa::path(tag = "tasks", responses((status = 200, body = ListResponse<Task>),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/apps/{app_id}/tasks")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<Task>>, ApiError> {
    check_app(&state, &caller, *app_id).await?;
    let q = ListQuery::parse(
        &req,
        &[
            ("created_at", "t.created_at", Kind::Time),
            ("scheduled_run_time", "t.scheduled_run_time", Kind::Time),
            ("event_type", "t.event_type", Kind::Text),
            // A task that has not run has no status; `status=null` selects those.
            (
                "status",
                "COALESCE(t.status, 'null')",
                Kind::OneOf(&["null", "running", "completed", "failed", "cancelled"]),
            ),
            ("endpoint_id", "t.endpoint_id", Kind::Uuid),
        ],
    )?;
    let client = state.client().await?;
    let listed = hookd_db::tasks::list(&client, *app_id, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// Get a task.
#[utoipa::path(tag = "tasks", responses((status = 200, body = Task), (status = 404, body = ErrorBody)))]
#[get("/tasks/{task_id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Task>, ApiError> {
    let client = state.client().await?;
    let task = hookd_db::tasks::get(&client, caller.organization_id, *id)
        .await
        .map_err(ApiError::from_db("task"))?;
    Ok(web::Json(task))
}

/// Cancel a task that has not run: 200 with the task, now `cancelled`. A task that is
/// running, completed, failed or already cancelled answers 409 (its current status in `data`).
#[utoipa::path(tag = "tasks", responses((status = 200, body = Task),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/tasks/{task_id}")]
async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Task>, ApiError> {
    Ok(web::Json(cancel_task(&state, &caller, *id).await?))
}

/// Cancels a task that has not run: the one path of the JSON route and the console.
pub async fn cancel_task(state: &AppState, caller: &Caller, id: Uuid) -> Result<Task, ApiError> {
    let client = state.client().await?;
    match hookd_db::tasks::cancel(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("task"))?
    {
        Cancel::Cancelled(task) => Ok(task),
        Cancel::NotPending(task) => {
            let status = task.status.map(|s| s.as_str()).unwrap_or("null");
            Err(ApiError::conflict(format!(
                "the task is {status}; only a task that has not run can be cancelled"
            ))
            .with_data(json!({ "status": task.status })))
        }
    }
}
