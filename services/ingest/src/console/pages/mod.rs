//! The console's pages, one module per resource.

mod api_keys;
mod apps;
pub mod endpoint_form;
mod endpoint_lanes;
pub mod endpoint_page;
mod endpoints;
mod event_types;
mod gateway;
mod health;
pub mod message_views;
mod messages;
pub mod subscriptions;
mod tasks;

use super::error::PageError;
use crate::auth::Caller;
use crate::state::AppState;
use actix_web::web;
use hookd_domain::App;
use maud::{html, Markup};
use uuid::Uuid;

pub fn configure_console(cfg: &mut web::ServiceConfig) {
    apps::configure(cfg);
    event_types::configure(cfg);
    subscriptions::configure(cfg);
    endpoints::configure(cfg);
    messages::configure(cfg);
    tasks::configure(cfg);
    api_keys::configure(cfg);
    health::configure(cfg);
    gateway::configure(cfg);
}

/// One page of the most a list gives (a subscription's endpoints, an app's event types,
/// a delivery's attempts are short), oldest first.
pub fn everything() -> hookd_db::Page {
    hookd_db::Page {
        limit: crate::list::MAX_LIMIT,
        dir: hookd_db::Dir::Asc,
        after: None,
        before: None,
        order: None,
    }
}

/// The names of the app's event types (for checkboxes and selects).
pub async fn app_event_types(state: &AppState, app_id: Uuid) -> Result<Vec<String>, PageError> {
    let client = state.client().await?;
    let page = everything();
    let listed = hookd_db::event_types::list(&client, app_id, &[], &page).await?;
    let mut names: Vec<String> = listed.models.into_iter().map(|t| t.name).collect();
    names.sort();
    Ok(names)
}

/// A status in words, styled by its class (never by colour alone).
pub fn status_cell(status: &str) -> Markup {
    html! { span class={"status-" (status)} { (status) } }
}

/// Rows per page of every console list.
pub const PAGE_SIZE: i64 = 50;

/// The caller's app, or 404.
pub async fn load_app(state: &AppState, caller: &Caller, id: Uuid) -> Result<App, PageError> {
    let client = state.client().await?;
    hookd_db::apps::get(&client, caller.organization_id, id)
        .await
        .map_err(|e| crate::error::ApiError::from_db("app")(e).into())
}

/// The top of an app's section page: the app's name, the page's h1, the app's nav.
pub fn app_heading(app: &App, title: &str, current: &str) -> Markup {
    html! {
        p.crumb { a href={"/console/apps/" (app.id)} { (app.name) } }
        h1 { (title) }
        (app_nav(app.id, current))
    }
}

/// The sections of an app page (nav "App").
pub fn app_nav(app_id: Uuid, current: &str) -> Markup {
    let items = [
        ("Event types", "event_types"),
        ("Subscriptions", "subscriptions"),
        ("Messages", "messages"),
        ("Tasks", "tasks"),
        ("Health", "health"),
    ];
    html! {
        nav.sub aria-label="App" {
            ul {
                @for (label, path) in items {
                    li {
                        @if path == current {
                            a href={"/console/apps/" (app_id) "/" (path)} aria-current="page" { (label) }
                        } @else {
                            a href={"/console/apps/" (app_id) "/" (path)} { (label) }
                        }
                    }
                }
            }
        }
    }
}

/// "Previous page" / "Next page" links of a keyset list; `query` holds the filters.
pub fn pager(path: &str, query: &str, next: Option<&str>, prev: Option<&str>) -> Markup {
    let sep = if query.is_empty() { "" } else { "&" };
    html! {
        @if next.is_some() || prev.is_some() {
            nav.pager aria-label="Pages" {
                @if let Some(p) = prev {
                    a href={(path) "?" (query) (sep) "prev=" (p)} { "Previous page" }
                }
                @if let Some(n) = next {
                    a href={(path) "?" (query) (sep) "next=" (n)} { "Next page" }
                }
            }
        }
    }
}
