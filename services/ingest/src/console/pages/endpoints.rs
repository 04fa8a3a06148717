//! `/console/subscriptions/{sid}/endpoints/{eid}` and its actions (the page itself is shared
//! with the portal: endpoint_page).

use super::endpoint_page::{self, Shown};
use crate::console::csrf;
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::session::ConsoleUser;
use crate::console::surface::Surface;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

const PATH: &str = "/subscriptions/{sid}/endpoints/{eid}";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PATH, web::get().to(show))
        .route(&format!("{PATH}/edit"), web::get().to(edit_form))
        .route(&format!("{PATH}/edit"), web::post().to(edit))
        .route(&format!("{PATH}/{{action}}"), web::post().to(act));
}

fn surface(user: &ConsoleUser) -> Surface<'_> {
    Surface {
        caller: user.caller,
        csrf: &user.csrf,
        portal: None,
    }
}

async fn show(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let (sid, eid) = path.into_inner();
    endpoint_page::render(
        &state,
        &surface(&user),
        sid,
        eid,
        Shown::default(),
        StatusCode::OK,
    )
    .await
}

async fn act(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<(Uuid, Uuid, String)>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let (sid, eid, action) = path.into_inner();
    endpoint_page::act(&state, &surface(&user), sid, eid, &action, &form).await
}

async fn edit_form(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, PageError> {
    let (sid, eid) = path.into_inner();
    endpoint_page::edit_form(&state, &surface(&user), sid, eid, None).await
}

async fn edit(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<(Uuid, Uuid)>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let (sid, eid) = path.into_inner();
    endpoint_page::edit(&state, &surface(&user), sid, eid, &form).await
}
