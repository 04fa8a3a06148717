//! `/console/api_keys`: the organization's keys, create (shown once), revoke.

use super::{pager, PAGE_SIZE};
use crate::console::csrf;
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::layout::{self, Chrome};
use crate::console::session::ConsoleUser;
use crate::list::{Kind, ListQuery};
use crate::routes::api_keys::{create_key, delete_key, CreateApiKey};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api_keys", web::get().to(list))
        .route("/api_keys", web::post().to(create))
        .route("/api_keys/{id}/revoke", web::post().to(revoke));
}

/// What one render adds: the new key (shown this once), an error with the typed name.
#[derive(Default)]
struct Extra<'a> {
    new_key: Option<String>,
    error: Option<(String, &'a str)>,
    note: Option<&'static str>,
}

async fn page(
    state: &AppState,
    user: &ConsoleUser,
    req: &HttpRequest,
    status: StatusCode,
    extra: Extra<'_>,
) -> Result<HttpResponse, PageError> {
    let mut q = ListQuery::parse(req, &[("created_at", "k.created_at", Kind::Time)])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let listed =
        hookd_db::api_keys::list(&client, user.caller.organization_id, &q.filters, &q.page).await?;
    let revoked = req.query_string().contains("revoked=1");
    let body = html! {
        h1 { "API keys" }
        @if revoked { (layout::note("The key has been revoked: it is refused from now on.")) }
        @if let Some(n) = extra.note { (layout::note(n)) }
        @if user.caller.is_admin {
            p { "You are logged in with the bootstrap admin key, which is set in the configuration and is not listed here." }
        }
        @if listed.models.is_empty() {
            p.empty { "No API keys yet." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Created" }
                        th scope="col" { span.visually-hidden { "Actions" } }
                    } }
                    tbody {
                        @for k in &listed.models {
                            tr {
                                td { (k.name) }
                                td { (layout::time(k.created_at)) }
                                td {
                                    form.inline method="post" action={"/console/api_keys/" (k.id) "/revoke"} {
                                        (layout::csrf_field(&user.csrf))
                                        button.danger type="submit" aria-label={"Revoke " (k.name)} { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (pager("/console/api_keys", "", listed.next.as_deref(), listed.prev.as_deref()))
        }
        h2 { "Create an API key" }
        @if let Some((message, _)) = &extra.error { (layout::alert(message)) }
        @if let Some(key) = &extra.new_key {
            (layout::note("API key created. Copy it now: it is not shown again."))
            div.stack {
                label for="new_key" { "New API key" }
                input #new_key.secret type="text" readonly value=(key);
            }
        }
        form.stack method="post" action="/console/api_keys" {
            (layout::csrf_field(&user.csrf))
            label for="name" { "Name" }
            input #name type="text" name="name" required maxlength="256"
                value=(extra.error.as_ref().map_or("", |(_, typed)| *typed));
            button type="submit" { "Create API key" }
        }
    };
    Ok(layout::respond(
        status,
        layout::page("API keys", Chrome::Console { csrf: &user.csrf }, body),
    ))
}

async fn list(
    state: web::Data<AppState>,
    user: ConsoleUser,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    page(&state, &user, &req, StatusCode::OK, Extra::default()).await
}

async fn create(
    state: web::Data<AppState>,
    user: ConsoleUser,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    // The form's name field is required: a blank one is the API's "name is required".
    let input = CreateApiKey {
        name: Some(form.value("name").to_owned()),
    };
    match create_key(&state, &user.caller, &input).await {
        Ok(created) => {
            let extra = Extra {
                new_key: Some(created.key),
                ..Extra::default()
            };
            page(&state, &user, &req, StatusCode::CREATED, extra).await
        }
        Err(e) if e.status.is_client_error() => {
            let extra = Extra {
                error: Some((e.message, form.value("name"))),
                ..Extra::default()
            };
            page(&state, &user, &req, e.status, extra).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    delete_key(&state, &user.caller, *path).await?;
    Ok(layout::see_other("/console/api_keys?revoked=1"))
}
