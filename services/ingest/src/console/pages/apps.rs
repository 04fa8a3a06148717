//! `/console/apps` (list, create) and the app overview.

use super::{app_nav, load_app, pager, PAGE_SIZE};
use crate::console::csrf;
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::layout::{self, Chrome};
use crate::console::session::ConsoleUser;
use crate::list::{Kind, ListQuery};
use crate::routes::apps::{create_app, AppInput};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps", web::get().to(list))
        .route("/apps", web::post().to(create))
        .route("/apps/{app_id}", web::get().to(overview));
}

async fn list_page(
    state: &AppState,
    user: &ConsoleUser,
    req: &HttpRequest,
    status: StatusCode,
    error: Option<&str>,
    name: &str,
) -> Result<HttpResponse, PageError> {
    let mut q = ListQuery::parse(req, &[("created_at", "a.created_at", Kind::Time)])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let listed =
        hookd_db::apps::list(&client, user.caller.organization_id, &q.filters, &q.page).await?;
    let body = html! {
        h1 { "Apps" }
        @if listed.models.is_empty() {
            p.empty { "No apps yet. An app groups the event types, subscribers and messages of one product: create the first one below." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Created" } } }
                    tbody {
                        @for app in &listed.models {
                            tr {
                                td { a href={"/console/apps/" (app.id)} { (app.name) } }
                                td { (layout::time(app.created_at)) }
                            }
                        }
                    }
                }
            }
            (pager("/console/apps", "", listed.next.as_deref(), listed.prev.as_deref()))
        }
        h2 { "Create an app" }
        (layout::alert_opt(error))
        form.stack method="post" action="/console/apps" {
            (layout::csrf_field(&user.csrf))
            label for="name" { "Name" }
            input #name type="text" name="name" value=(name) required maxlength="256";
            button type="submit" { "Create app" }
        }
    };
    Ok(layout::respond(
        status,
        layout::page("Apps", Chrome::Console { csrf: &user.csrf }, body),
    ))
}

async fn list(
    state: web::Data<AppState>,
    user: ConsoleUser,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    list_page(&state, &user, &req, StatusCode::OK, None, "").await
}

async fn create(
    state: web::Data<AppState>,
    user: ConsoleUser,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let input = AppInput {
        name: form.get("name").map(str::to_owned),
    };
    match create_app(&state, &user.caller, &input).await {
        Ok(app) => Ok(layout::see_other(&format!("/console/apps/{}", app.id))),
        Err(e) if e.status.is_client_error() => {
            list_page(
                &state,
                &user,
                &req,
                e.status,
                Some(&e.message),
                form.value("name"),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn overview(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let app = load_app(&state, &user.caller, *path).await?;
    let body = html! {
        h1 { (app.name) }
        (app_nav(app.id, ""))
        dl.details {
            dt { "App id" } dd { code { (app.id) } }
            dt { "Created" } dd { (layout::time(app.created_at)) }
        }
        p { "Define the " a href={"/console/apps/" (app.id) "/event_types"} { "event types" }
            " this app sends, add " a href={"/console/apps/" (app.id) "/subscriptions"} { "subscriptions" }
            " with their endpoints, then follow deliveries in the "
            a href={"/console/apps/" (app.id) "/messages"} { "message log" } "." }
    };
    Ok(layout::ok(layout::page(
        &app.name,
        Chrome::Console { csrf: &user.csrf },
        body,
    )))
}
