//! `/console/apps/{app_id}/health`: the app's delivery health over the last hour or day, and
//! each endpoint's; plus the endpoint page's section.

use super::{app_heading, load_app};
use crate::console::charts;
use crate::console::error::PageError;
use crate::console::layout::{self, Chrome};
use crate::console::session::ConsoleUser;
use crate::console::surface::Surface;
use crate::routes::stats::{app_stats, endpoint_stats, success_rate, Window};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps/{app_id}/health", web::get().to(page));
}

fn window_of(req: &HttpRequest) -> Result<Window, PageError> {
    let given = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "window")
        .map(|(_, v)| v.into_owned());
    Ok(Window::parse(given.as_deref())?)
}

fn window_links(base: &str, window: Window) -> Markup {
    html! {
        nav.sub aria-label="Window" {
            ul {
                @for (label, w) in [("Last hour", Window::Hour), ("Last day", Window::Day)] {
                    li {
                        @if w == window {
                            a href={(base) "?window=" (w.name())} aria-current="page" { (label) }
                        } @else {
                            a href={(base) "?window=" (w.name())} { (label) }
                        }
                    }
                }
            }
        }
    }
}

async fn page(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let app = load_app(&state, &user.caller, *path).await?;
    let window = window_of(&req)?;
    let stats = app_stats(&state, &user.caller, app.id, window).await?;
    let (bucket_seconds, count) = window.buckets();
    let since =
        stats.buckets.first().map(|b| b.start).unwrap_or_else(|| {
            chrono::Utc::now() - chrono::Duration::seconds(bucket_seconds * count)
        });
    let client = state.client().await?;
    let endpoints = hookd_db::stats::per_endpoint(&client, app.id, since).await?;
    let base = format!("/console/apps/{}/health", app.id);
    let body = html! {
        (app_heading(&app, "Delivery health", "health"))
        (window_links(&base, window))
        h2 { "All endpoints" }
        (charts::figures(&stats))
        h2 { "Each endpoint" }
        @if endpoints.is_empty() {
            p.empty { "This app has no endpoints yet." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Endpoint" } th scope="col" { "Attempts" }
                        th scope="col" { "Success rate" } th scope="col" { "Latency p50" }
                        th scope="col" { "Latency p95" }
                    } }
                    tbody {
                        @for (_, url, f) in &endpoints {
                            tr {
                                td { (url) }
                                td { (f.attempts) }
                                td { (charts::percent(success_rate(f))) }
                                td { (charts::ms(f.p50_ms)) }
                                td { (charts::ms(f.p95_ms)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::ok(layout::page(
        "Delivery health",
        Chrome::Console { csrf: &user.csrf },
        body,
    )))
}

/// The endpoint page's health: the last day's charts.
pub async fn endpoint_section(
    state: &AppState,
    surface: &Surface<'_>,
    endpoint: &hookd_domain::Endpoint,
) -> Result<Markup, PageError> {
    let stats = endpoint_stats(state, &surface.caller, endpoint.id, Window::Day).await?;
    Ok(html! {
        section aria-labelledby="health-h" {
            h2 #health-h { "Health (last day)" }
            (charts::figures(&stats))
        }
    })
}
