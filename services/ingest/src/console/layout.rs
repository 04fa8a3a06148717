//! The page frame and the small pieces every page uses.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use maud::{html, Markup, DOCTYPE};

/// The navigation and logout of the surface a page belongs to.
pub enum Chrome<'a> {
    /// No session (login, error pages).
    Bare,
    Console {
        csrf: &'a str,
    },
    Portal {
        csrf: &'a str,
    },
}

pub fn page(title: &str, chrome: Chrome<'_>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · hookd" }
                link rel="stylesheet" href="/assets/console.css";
            }
            body {
                header.top {
                    span.brand { "hookd" }
                    @match chrome {
                        Chrome::Bare => {}
                        Chrome::Console { csrf } => {
                            nav aria-label="Main" {
                                ul {
                                    li { a href="/console/apps" { "Apps" } }
                                    li { a href="/console/sources" { "Gateway" } }
                                    li { a href="/console/api_keys" { "API keys" } }
                                }
                            }
                            (logout("/console/logout", csrf))
                        }
                        Chrome::Portal { csrf } => {
                            nav aria-label="Main" {
                                ul {
                                    li { a href="/portal/endpoints" { "Endpoints" } }
                                    li { a href="/portal/messages" { "Messages" } }
                                }
                            }
                            (logout("/portal/logout", csrf))
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

fn logout(action: &str, csrf: &str) -> Markup {
    html! {
        form.logout method="post" action=(action) {
            (csrf_field(csrf))
            button type="submit" { "Log out" }
        }
    }
}

pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

/// An error the person must read: announced by screen readers.
pub fn alert(message: &str) -> Markup {
    html! { p.alert role="alert" { (message) } }
}

/// A note about what just happened.
pub fn note(message: &str) -> Markup {
    html! { p.note role="status" { (message) } }
}

pub fn alert_opt(message: Option<&str>) -> Markup {
    html! { @if let Some(m) = message { (alert(m)) } }
}

pub fn time(at: DateTime<Utc>) -> Markup {
    html! { time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M:%S UTC")) } }
}

pub fn error_page(title: &str, message: &str) -> Markup {
    page(
        title,
        Chrome::Bare,
        html! {
            h1 { (title) }
            (alert(message))
            p { a href="/console/apps" { "Go to the console" } }
        },
    )
}

pub fn respond(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

pub fn ok(markup: Markup) -> HttpResponse {
    respond(StatusCode::OK, markup)
}

/// POST then 303: the browser's back button and reload do not post again.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}
