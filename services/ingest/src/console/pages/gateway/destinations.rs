//! `/console/destinations`: list, create; a destination's page with Disable/Enable and Delete.

use super::{action_button, enabled_word, gateway_nav, respond};
use crate::console::csrf;
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::layout;
use crate::console::pages::{pager, status_cell, PAGE_SIZE};
use crate::console::session::ConsoleUser;
use crate::gateway::destinations::{
    create_destination, delete_destination, path_id, set_destination_disabled, DestinationInput,
};
use crate::gateway::ids::{self, DESTINATION};
use crate::list::{Kind, ListQuery};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use hookd_db::gateway::destinations as db;
use maud::html;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/destinations", web::get().to(list))
        .route("/destinations", web::post().to(create))
        .route("/destinations/{id}", web::get().to(show))
        .route("/destinations/{id}/{action}", web::post().to(act));
}

async fn list_page(
    state: &AppState,
    user: &ConsoleUser,
    req: &HttpRequest,
    status: StatusCode,
    error: Option<&str>,
    form: &FormData,
) -> Result<HttpResponse, PageError> {
    let mut q = ListQuery::parse(req, &[("created_at", "d.created_at", Kind::Time)])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let org = user.caller.organization_id;
    let listed = db::list(&client, org, true, &q.filters, &q.page).await?;
    let body = html! {
        h1 { "Destinations" }
        (gateway_nav("destinations"))
        @if listed.models.is_empty() {
            p.empty { "No destinations yet. A destination is where a connection delivers the requests of a source: create one below." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "URL" }
                        th scope="col" { "Status" } th scope="col" { "Created" }
                    } }
                    tbody {
                        @for d in &listed.models {
                            tr {
                                td { a href={"/console/destinations/" (ids::format(DESTINATION, d.id))} { (d.name) } }
                                td { code.url { (d.url.as_deref().or(d.cli_path.as_deref()).unwrap_or("—")) } }
                                td { (status_cell(enabled_word(d.disabled_at))) }
                                td { (layout::time(d.created_at)) }
                            }
                        }
                    }
                }
            }
            (pager("/console/destinations", "", listed.next.as_deref(), listed.prev.as_deref()))
        }
        h2 { "Create a destination" }
        (layout::alert_opt(error))
        form.stack method="post" action="/console/destinations" {
            (layout::csrf_field(&user.csrf))
            label for="name" { "Name" }
            input #name type="text" name="name" value=(form.value("name")) required maxlength="155";
            label for="url" { "URL" }
            input #url type="url" name="url" value=(form.value("url")) required;
            button type="submit" { "Create destination" }
        }
    };
    Ok(respond(user, status, "Destinations", body))
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
    let input = DestinationInput {
        name: Some(form.value("name").trim().to_owned()),
        description: None,
        url: Some(form.get("url").map(str::to_owned)),
        cli_path: None,
        http_method: None,
        rate_limit: None,
        rate_limit_period: None,
        auth_method: None,
        path_forwarding_disabled: None,
    };
    match create_destination(&state, &user.caller, &input).await {
        Ok(d) => Ok(layout::see_other(&format!(
            "/console/destinations/{}",
            ids::format(DESTINATION, d.id)
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
    let d = db::get(&client, user.caller.organization_id, id).await?;
    let raw = ids::format(DESTINATION, d.id);
    let here = format!("/console/destinations/{raw}");
    let body = html! {
        p.crumb { a href="/console/destinations" { "Destinations" } }
        h1 { (d.name) }
        dl.details {
            dt { "Status" } dd { (status_cell(enabled_word(d.disabled_at))) }
            dt { "URL" } dd { code.url { (d.url.as_deref().or(d.cli_path.as_deref()).unwrap_or("—")) } }
            dt { "Method" } dd { (d.http_method.as_deref().unwrap_or("the request's")) }
            dt { "Authentication" } dd { (d.auth_type) }
            dt { "Rate limit" } dd {
                @match (d.rate_limit, &d.rate_limit_period) {
                    (Some(n), Some(p)) => { (n) " per " (p) }
                    _ => { "none" }
                }
            }
            dt { "Description" } dd { (d.description.as_deref().unwrap_or("—")) }
            dt { "Destination id" } dd { code { (raw) } }
            dt { "Created" } dd { (layout::time(d.created_at)) }
        }
        div.actions {
            @if d.disabled_at.is_some() {
                (action_button(&format!("{here}/enable"), &user.csrf, "Enable", false))
            } @else {
                (action_button(&format!("{here}/disable"), &user.csrf, "Disable", false))
            }
            (action_button(&format!("{here}/delete"), &user.csrf, "Delete", true))
        }
    };
    Ok(respond(&user, StatusCode::OK, &d.name, body))
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
            delete_destination(&state, &user.caller, id).await?;
            Ok(layout::see_other("/console/destinations"))
        }
        "disable" | "enable" => {
            set_destination_disabled(&state, &user.caller, id, action == "disable").await?;
            Ok(layout::see_other(&format!("/console/destinations/{raw}")))
        }
        _ => Err(PageError::NotFound),
    }
}
