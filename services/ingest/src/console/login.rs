//! `/console/login` and `/console/logout`.

use super::error::PageError;
use super::form::FormData;
use super::layout::{self, Chrome};
use super::limiter::LoginLimiter;
use super::session::{self, ConsoleUser, COOKIE_NAME};
use super::{csrf, token};
use crate::state::AppState;
use actix_web::http::header::{RETRY_AFTER, SET_COOKIE};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;

/// The login form's double-submit CSRF cookie.
const CSRF_COOKIE: &str = "hookd_console_csrf";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(home))
        .route("/", web::get().to(home))
        .route("/login", web::get().to(form))
        .route("/login", web::post().to(submit))
        .route("/logout", web::post().to(logout));
}

async fn home() -> HttpResponse {
    layout::see_other("/console/apps")
}

fn login_page(csrf: &str, error: Option<&str>) -> maud::Markup {
    layout::page(
        "Log in",
        Chrome::Bare,
        html! {
            h1 { "Log in" }
            p { "Log in to the hookd console with an API key of your organization." }
            (layout::alert_opt(error))
            form.stack method="post" action="/console/login" {
                (layout::csrf_field(csrf))
                label for="api_key" { "API key" }
                input #api_key type="password" name="api_key" autocomplete="off" required;
                button type="submit" { "Log in" }
            }
        },
    )
}

/// Renders the login form with its CSRF cookie (kept when the browser has one already, so
/// two open tabs both work).
fn render(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    error: Option<&str>,
) -> HttpResponse {
    let csrf = session::cookie(req, CSRF_COOKIE).unwrap_or_else(token::random);
    let mut response = layout::respond(status, login_page(&csrf, error));
    let cookie = session::set_cookie(state, CSRF_COOKIE, &csrf, "/console/login", "Strict", 3600);
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

async fn form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    render(&state, &req, StatusCode::OK, None)
}

#[tracing::instrument(name = "console_login", skip_all)]
async fn submit(
    state: web::Data<AppState>,
    limiter: web::Data<LoginLimiter>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    let addr = req.peer_addr().map(|a| a.ip());
    if let Some(addr) = addr {
        if let Err(wait) = limiter.check(addr) {
            let mut response = render(
                &state,
                &req,
                StatusCode::TOO_MANY_REQUESTS,
                Some("Too many login attempts from this address. Wait a minute and try again."),
            );
            if let Ok(value) = wait.to_string().parse() {
                response.headers_mut().insert(RETRY_AFTER, value);
            }
            return Ok(response);
        }
    }
    let expected = session::cookie(&req, CSRF_COOKIE).unwrap_or_default();
    csrf::check(&req, &form, &expected)?;
    let Some(key) = form.get("api_key") else {
        return Ok(render(
            &state,
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Enter an API key."),
        ));
    };
    if let Err(e) = crate::auth::resolve(&state, Some(key.to_owned())).await {
        if e.status != StatusCode::UNAUTHORIZED {
            return Err(e.into());
        }
        if let Some(addr) = addr {
            limiter.failed(addr);
        }
        return Ok(render(
            &state,
            &req,
            StatusCode::UNAUTHORIZED,
            Some("That API key is not valid (missing or unknown API key)."),
        ));
    }
    let id = token::random();
    let ttl = chrono::Duration::from_std(state.settings.console.session_ttl)
        .unwrap_or_else(|_| chrono::Duration::hours(12));
    let client = state.client().await?;
    hookd_db::console_sessions::create(
        &client,
        &token::hash(&id),
        &crate::hash_api_key(key),
        &token::random(),
        chrono::Utc::now() + ttl,
    )
    .await?;
    tracing::info!("console session opened");
    let cookie = session::set_cookie(
        &state,
        COOKIE_NAME,
        &id,
        "/console",
        "Strict",
        ttl.num_seconds(),
    );
    Ok(HttpResponse::SeeOther()
        .insert_header(("location", "/console/apps"))
        .insert_header((SET_COOKIE, cookie))
        .finish())
}

async fn logout(
    state: web::Data<AppState>,
    user: ConsoleUser,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let client = state.client().await?;
    hookd_db::console_sessions::delete(&client, &user.id_hash).await?;
    let cookie = session::set_cookie(&state, COOKIE_NAME, "", "/console", "Strict", 0);
    Ok(HttpResponse::SeeOther()
        .insert_header(("location", "/console/login"))
        .insert_header((SET_COOKIE, cookie))
        .finish())
}
