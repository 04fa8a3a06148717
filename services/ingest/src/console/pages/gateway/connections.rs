//! `/console/connections`: list (source → destination, rules), create; a connection's page
//! with Pause/Unpause, Disable/Enable and Delete.

use super::{action_button, gateway_nav, respond};
use crate::console::csrf;
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::layout;
use crate::console::pages::{everything, pager, status_cell, PAGE_SIZE};
use crate::console::session::ConsoleUser;
use crate::error::ApiError;
use crate::gateway::connections::{
    connection_action, create_connection, delete_connection, path_id, ConnectionInput,
};
use crate::gateway::ids::{self, CONNECTION, DESTINATION, SOURCE};
use crate::list::{Kind, ListQuery};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use hookd_db::gateway::connections::{self as db, Connection};
use hookd_db::gateway::{destinations as db_destinations, sources as db_sources};
use maud::{html, Markup};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/connections", web::get().to(list))
        .route("/connections", web::post().to(create))
        .route("/connections/{id}", web::get().to(show))
        .route("/connections/{id}/{action}", web::post().to(act));
}

/// `paused`, `disabled` or `enabled`: what stops its deliveries first.
fn state_word(c: &Connection) -> &'static str {
    if c.disabled_at.is_some() {
        "disabled"
    } else if c.paused_at.is_some() {
        "paused"
    } else {
        "enabled"
    }
}

/// The rules in words: one `type` per rule.
fn rules_summary(rules: &Value) -> String {
    let kinds: Vec<&str> = rules
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["type"].as_str()).collect())
        .unwrap_or_default();
    if kinds.is_empty() {
        "none".into()
    } else {
        kinds.join(", ")
    }
}

/// Names of sources and destinations by id (two reads for a page).
async fn names(
    client: &impl hookd_db::GenericClient,
    org: Uuid,
    connections: &[Connection],
) -> Result<(HashMap<Uuid, String>, HashMap<Uuid, String>), PageError> {
    let source_ids: Vec<Uuid> = connections.iter().map(|c| c.source_id).collect();
    let dest_ids: Vec<Uuid> = connections.iter().map(|c| c.destination_id).collect();
    let sources = db_sources::get_many(client, org, &source_ids).await?;
    let dests = db_destinations::get_many(client, org, &dest_ids).await?;
    Ok((
        sources.into_iter().map(|s| (s.id, s.name)).collect(),
        dests.into_iter().map(|d| (d.id, d.name)).collect(),
    ))
}

async fn list_page(
    state: &AppState,
    user: &ConsoleUser,
    req: &HttpRequest,
    status: StatusCode,
    error: Option<&str>,
    form: &FormData,
) -> Result<HttpResponse, PageError> {
    let mut q = ListQuery::parse(req, &[("created_at", "c.created_at", Kind::Time)])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let org = user.caller.organization_id;
    let listed = db::list(&client, org, true, &q.filters, &q.page).await?;
    let (source_names, dest_names) = names(&client, org, &listed.models).await?;
    // The create form's choices: every source and destination (short lists).
    let sources = db_sources::list(&client, org, true, &[], &everything()).await?;
    let dests = db_destinations::list(&client, org, true, &[], &everything()).await?;
    let body = html! {
        h1 { "Connections" }
        (gateway_nav("connections"))
        @if listed.models.is_empty() {
            p.empty { "No connections yet. A connection routes a source's requests to a destination, with rules: create one below." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Route" }
                        th scope="col" { "Rules" } th scope="col" { "Status" }
                        th scope="col" { "Created" }
                    } }
                    tbody {
                        @for c in &listed.models {
                            tr {
                                td { a href={"/console/connections/" (ids::format(CONNECTION, c.id))} { (c.name) } }
                                td { (route(&source_names, &dest_names, c)) }
                                td { (rules_summary(&c.rules)) }
                                td { (status_cell(state_word(c))) }
                                td { (layout::time(c.created_at)) }
                            }
                        }
                    }
                }
            }
            (pager("/console/connections", "", listed.next.as_deref(), listed.prev.as_deref()))
        }
        h2 { "Create a connection" }
        (layout::alert_opt(error))
        @if sources.models.is_empty() || dests.models.is_empty() {
            p.empty { "A connection needs a " a href="/console/sources" { "source" } " and a "
                a href="/console/destinations" { "destination" } " first." }
        } @else {
            form.stack method="post" action="/console/connections" {
                (layout::csrf_field(&user.csrf))
                label for="name" { "Name" }
                input #name type="text" name="name" value=(form.value("name")) required maxlength="155";
                label for="source_id" { "Source" }
                select #source_id name="source_id" {
                    @for s in &sources.models {
                        @let id = ids::format(SOURCE, s.id);
                        option value=(id) selected[form.value("source_id") == id] { (s.name) }
                    }
                }
                label for="destination_id" { "Destination" }
                select #destination_id name="destination_id" {
                    @for d in &dests.models {
                        @let id = ids::format(DESTINATION, d.id);
                        option value=(id) selected[form.value("destination_id") == id] { (d.name) }
                    }
                }
                label for="rules" { "Rules" }
                textarea #rules name="rules" rows="4" aria-describedby="rules_hint" { (form.value("rules")) }
                p.hint #rules_hint { "Optional: a JSON list of rules, e.g. [{\"type\": \"retry\", \"strategy\": \"linear\", \"count\": 5, \"interval\": 60000}]." }
                button type="submit" { "Create connection" }
            }
        }
    };
    Ok(respond(user, status, "Connections", body))
}

fn route(sources: &HashMap<Uuid, String>, dests: &HashMap<Uuid, String>, c: &Connection) -> Markup {
    let unknown = String::from("?");
    html! {
        a href={"/console/sources/" (ids::format(SOURCE, c.source_id))} { (sources.get(&c.source_id).unwrap_or(&unknown)) }
        " → "
        a href={"/console/destinations/" (ids::format(DESTINATION, c.destination_id))} { (dests.get(&c.destination_id).unwrap_or(&unknown)) }
    }
}

async fn list(
    state: web::Data<AppState>,
    user: ConsoleUser,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    list_page(
        &state,
        &user,
        &req,
        StatusCode::OK,
        None,
        &FormData::default(),
    )
    .await
}

/// The form as the API's input: the rules text is JSON (a 400 like the API's bad JSON).
fn input_of(form: &FormData) -> Result<ConnectionInput, ApiError> {
    let rules = match form.get("rules") {
        None => None,
        Some(text) => Some(serde_json::from_str(text).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "rules must be a JSON list of rule objects",
            )
        })?),
    };
    Ok(ConnectionInput {
        name: Some(form.value("name").trim().to_owned()),
        description: None,
        source_id: form.get("source_id").map(str::to_owned),
        source: None,
        destination_id: form.get("destination_id").map(str::to_owned),
        destination: None,
        rules,
    })
}

async fn create(
    state: web::Data<AppState>,
    user: ConsoleUser,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let created = match input_of(&form) {
        Ok(input) => create_connection(&state, &user.caller, &input).await,
        Err(e) => Err(e),
    };
    match created {
        Ok((c, _, _)) => Ok(layout::see_other(&format!(
            "/console/connections/{}",
            ids::format(CONNECTION, c.id)
        ))),
        Err(e) if e.status.is_client_error() => {
            list_page(&state, &user, &req, e.status, Some(&e.message), &form).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn show(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = path_id(&path)?;
    let client = state.client().await?;
    let org = user.caller.organization_id;
    let c = db::get(&client, org, id).await?;
    let (source_names, dest_names) = names(&client, org, std::slice::from_ref(&c)).await?;
    let raw = ids::format(CONNECTION, c.id);
    let here = format!("/console/connections/{raw}");
    let title = format!(
        "{} -> {}",
        source_names.get(&c.source_id).map_or("?", String::as_str),
        c.name
    );
    let rules = serde_json::to_string_pretty(&c.rules).unwrap_or_default();
    let body = html! {
        p.crumb { a href="/console/connections" { "Connections" } }
        h1 { (title) }
        dl.details {
            dt { "Status" } dd { (status_cell(state_word(&c))) }
            dt { "Route" } dd { (route(&source_names, &dest_names, &c)) }
            dt { "Description" } dd { (c.description.as_deref().unwrap_or("—")) }
            dt { "Connection id" } dd { code { (raw) } }
            dt { "Created" } dd { (layout::time(c.created_at)) }
        }
        div.actions {
            @if c.paused_at.is_some() {
                (action_button(&format!("{here}/unpause"), &user.csrf, "Unpause", false))
            } @else {
                (action_button(&format!("{here}/pause"), &user.csrf, "Pause", false))
            }
            @if c.disabled_at.is_some() {
                (action_button(&format!("{here}/enable"), &user.csrf, "Enable", false))
            } @else {
                (action_button(&format!("{here}/disable"), &user.csrf, "Disable", false))
            }
            (action_button(&format!("{here}/delete"), &user.csrf, "Delete", true))
        }
        section aria-labelledby="rules_h" {
            h2 #rules_h { "Rules" }
            @if rules_summary(&c.rules) == "none" {
                p.empty { "No rules: every request is delivered, retried on the engine's schedule." }
            } @else {
                pre.payload { (rules) }
            }
        }
    };
    Ok(respond(&user, StatusCode::OK, &title, body))
}

/// `pause`, `unpause`, `disable`, `enable` or `delete`, then 303 (to the list after a delete).
async fn act(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let (raw, action) = path.into_inner();
    let id = path_id(&raw)?;
    match action.as_str() {
        "delete" => {
            delete_connection(&state, &user.caller, id).await?;
            Ok(layout::see_other("/console/connections"))
        }
        "pause" | "unpause" | "disable" | "enable" => {
            connection_action(&state, &user.caller, id, &action).await?;
            Ok(layout::see_other(&format!("/console/connections/{raw}")))
        }
        _ => Err(PageError::NotFound),
    }
}
