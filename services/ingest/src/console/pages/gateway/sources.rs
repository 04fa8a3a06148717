//! `/console/sources`: list (with the URL to send to), create; a source's page with
//! Disable/Enable and Delete.

use super::{action_button, enabled_word, gateway_nav, respond};
use crate::console::csrf;
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::layout;
use crate::console::pages::{pager, status_cell, PAGE_SIZE};
use crate::console::session::ConsoleUser;
use crate::gateway::ids::{self, SOURCE};
use crate::gateway::sources::{
    create_source, delete_source, path_id, render, set_source_disabled, SourceInput,
};
use crate::list::{Kind, ListQuery};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use hookd_db::gateway::{connections as db_connections, sources as db};
use maud::html;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sources", web::get().to(list))
        .route("/sources", web::post().to(create))
        .route("/sources/{id}", web::get().to(show))
        .route("/sources/{id}/{action}", web::post().to(act));
}

async fn list_page(
    state: &AppState,
    user: &ConsoleUser,
    req: &HttpRequest,
    status: StatusCode,
    error: Option<&str>,
    form: &FormData,
) -> Result<HttpResponse, PageError> {
    let mut q = ListQuery::parse(req, &[("created_at", "s.created_at", Kind::Time)])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let org = user.caller.organization_id;
    let listed = db::list(&client, org, true, &q.filters, &q.page).await?;
    let body = html! {
        h1 { "Sources" }
        (gateway_nav("sources"))
        @if listed.models.is_empty() {
            p.empty { "No sources yet. A source is a URL that providers send webhooks to: create one below, then connect it to a destination." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "URL" }
                        th scope="col" { "Status" } th scope="col" { "Created" }
                    } }
                    tbody {
                        @for s in listed.models {
                            @let id = ids::format(SOURCE, s.id);
                            @let disabled = s.disabled_at;
                            @let created = s.created_at;
                            @let name = s.name.clone();
                            @let model = render(state, s, false)?;
                            tr {
                                td { a href={"/console/sources/" (id)} { (name) } }
                                td { code.url { (model.url) } }
                                td { (status_cell(enabled_word(disabled))) }
                                td { (layout::time(created)) }
                            }
                        }
                    }
                }
            }
            (pager("/console/sources", "", listed.next.as_deref(), listed.prev.as_deref()))
        }
        h2 { "Create a source" }
        (layout::alert_opt(error))
        form.stack method="post" action="/console/sources" {
            (layout::csrf_field(&user.csrf))
            label for="name" { "Name" }
            input #name type="text" name="name" value=(form.value("name")) required maxlength="155"
                pattern="[A-Za-z0-9_\\-]+" aria-describedby="name_hint";
            p.hint #name_hint { "Letters, digits, - and _." }
            label for="description" { "Description" }
            input #description type="text" name="description" value=(form.value("description"));
            button type="submit" { "Create source" }
        }
    };
    Ok(respond(user, status, "Sources", body))
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

async fn create(
    state: web::Data<AppState>,
    user: ConsoleUser,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let input = SourceInput {
        name: Some(form.value("name").trim().to_owned()),
        description: form.get("description").map(|d| Some(d.to_owned())),
        verification: None,
        allowed_http_methods: None,
        custom_response: None,
    };
    match create_source(&state, &user.caller, &input).await {
        Ok(s) => Ok(layout::see_other(&format!(
            "/console/sources/{}",
            ids::format(SOURCE, s.id)
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
    let s = db::get(&client, org, id).await?;
    let connections = db_connections::of_source(&client, id).await?;
    let raw = ids::format(SOURCE, s.id);
    let here = format!("/console/sources/{raw}");
    let disabled = s.disabled_at.is_some();
    let model = render(&state, s, false)?;
    let body = html! {
        p.crumb { a href="/console/sources" { "Sources" } }
        h1 { (model.name) }
        div.stack {
            label for="source_url" { "Source URL" }
            input #source_url.url type="text" readonly value=(model.url);
        }
        p.hint { "Providers send webhooks to this URL (any path below it, and a query, are kept)." }
        dl.details {
            dt { "Status" } dd { (status_cell(enabled_word(model.disabled_at))) }
            dt { "Description" } dd { (model.description.as_deref().unwrap_or("—")) }
            dt { "Verification" } dd {
                (model.verification.as_ref().and_then(|v| v["type"].as_str()).unwrap_or("none"))
            }
            dt { "Methods" } dd { (model.allowed_http_methods.join(", ")) }
            dt { "Source id" } dd { code { (raw) } }
            dt { "Created" } dd { (layout::time(model.created_at)) }
        }
        p { a href={"/console/requests?source=" (raw)} { "Requests of this source" } }
        div.actions {
            @if disabled {
                (action_button(&format!("{here}/enable"), &user.csrf, "Enable", false))
            } @else {
                (action_button(&format!("{here}/disable"), &user.csrf, "Disable", false))
            }
            (action_button(&format!("{here}/delete"), &user.csrf, "Delete", true))
        }
        h2 { "Connections" }
        @if connections.is_empty() {
            p.empty { "No connection: requests are stored but go nowhere. "
                a href="/console/connections" { "Connect this source" } " to a destination." }
        } @else {
            ul {
                @for c in &connections {
                    li { a href={"/console/connections/" (ids::format(ids::CONNECTION, c.id))} { (c.name) } }
                }
            }
        }
    };
    Ok(respond(&user, StatusCode::OK, &model.name, body))
}

/// `disable`, `enable` or `delete`, then 303 (to the list after a delete).
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
            delete_source(&state, &user.caller, id).await?;
            Ok(layout::see_other("/console/sources"))
        }
        "disable" | "enable" => {
            set_source_disabled(&state, &user.caller, id, action == "disable").await?;
            Ok(layout::see_other(&format!("/console/sources/{raw}")))
        }
        _ => Err(PageError::NotFound),
    }
}
