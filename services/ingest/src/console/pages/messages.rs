//! `/console/apps/{app_id}/messages` (the log, Retry failed) and `/console/messages/{mid}`.

use super::message_views;
use super::{app_event_types, app_heading, load_app};
use crate::console::csrf;
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::session::ConsoleUser;
use crate::console::surface::Surface;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps/{app_id}/messages", web::get().to(log))
        .route(
            "/apps/{app_id}/messages/retry",
            web::post().to(retry_failed),
        )
        .route("/messages/{mid}", web::get().to(message))
        .route(
            "/messages/{mid}/deliveries/{did}/retry",
            web::post().to(retry_one),
        );
}

fn surface(user: &ConsoleUser) -> Surface<'_> {
    Surface {
        caller: user.caller,
        csrf: &user.csrf,
        portal: None,
    }
}

async fn render_log(
    state: &AppState,
    user: &ConsoleUser,
    app_id: Uuid,
    req: &HttpRequest,
    note: Option<String>,
) -> Result<HttpResponse, PageError> {
    let app = load_app(state, &user.caller, app_id).await?;
    let types = app_event_types(state, app_id).await?;
    let heading = app_heading(&app, "Messages", "messages");
    let view = message_views::LogView {
        heading,
        types: &types,
        note,
    };
    message_views::log(state, &surface(user), app_id, req, view).await
}

async fn log(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let note = req
        .query_string()
        .split('&')
        .find_map(|p| p.strip_prefix("retried="))
        .and_then(|n| n.parse::<u64>().ok())
        .map(|n| format!("{n} failed deliveries scheduled again."));
    render_log(&state, &user, *path, &req, note).await
}

async fn retry_failed(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let app_id = *path;
    load_app(&state, &user.caller, app_id).await?;
    match message_views::retry_failed(&state, &surface(&user), app_id, &form).await {
        Ok(n) => Ok(crate::console::layout::see_other(&format!(
            "/console/apps/{app_id}/messages?retried={n}"
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn message(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    message_views::message(&state, &surface(&user), *path, None, StatusCode::OK).await
}

async fn retry_one(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<(Uuid, Uuid)>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let (mid, did) = path.into_inner();
    message_views::retry_one(&state, &surface(&user), mid, did).await
}
