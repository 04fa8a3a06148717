//! The event gateway's pages (GATEWAY.md): sources, destinations, connections, the requests
//! that arrived and the events made of them. Every mutation calls the function its
//! `/2024-03-01` JSON handler calls; ids in paths are the API's prefixed ones.

mod connections;
mod destinations;
mod events;
mod requests;
mod sources;

use crate::console::layout::{self, Chrome};
use crate::console::session::ConsoleUser;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use maud::{html, Markup};

pub fn configure(cfg: &mut web::ServiceConfig) {
    sources::configure(cfg);
    destinations::configure(cfg);
    connections::configure(cfg);
    requests::configure(cfg);
    events::configure(cfg);
}

/// The sections of the gateway (nav "Gateway"), `current` marked.
pub fn gateway_nav(current: &str) -> Markup {
    let items = [
        ("Sources", "sources"),
        ("Destinations", "destinations"),
        ("Connections", "connections"),
        ("Requests", "requests"),
        ("Events", "events"),
    ];
    html! {
        nav.sub aria-label="Gateway" {
            ul {
                @for (label, path) in items {
                    li {
                        @if path == current {
                            a href={"/console/" (path)} aria-current="page" { (label) }
                        } @else {
                            a href={"/console/" (path)} { (label) }
                        }
                    }
                }
            }
        }
    }
}

/// A console page of the gateway.
pub fn respond(user: &ConsoleUser, status: StatusCode, title: &str, body: Markup) -> HttpResponse {
    layout::respond(
        status,
        layout::page(title, Chrome::Console { csrf: &user.csrf }, body),
    )
}

/// `enabled` or `disabled`, the words of CONSOLE.md's status cells.
pub fn enabled_word(disabled_at: Option<DateTime<Utc>>) -> &'static str {
    if disabled_at.is_some() {
        "disabled"
    } else {
        "enabled"
    }
}

/// A one-button form posting to `action` (an action of the page's object).
pub fn action_button(action: &str, csrf: &str, label: &str, danger: bool) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (layout::csrf_field(csrf))
            @if danger {
                button.danger type="submit" { (label) }
            } @else {
                button type="submit" { (label) }
            }
        }
    }
}
