//! `/console/apps/{app_id}/tasks`: scheduled tasks and Cancel.

use super::{app_heading, load_app, pager, status_cell, PAGE_SIZE};
use crate::console::csrf;
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::layout::{self, Chrome};
use crate::console::session::ConsoleUser;
use crate::list::{Kind, ListQuery};
use crate::routes::tasks::cancel_task;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps/{app_id}/tasks", web::get().to(list))
        .route(
            "/apps/{app_id}/tasks/{task_id}/cancel",
            web::post().to(cancel),
        );
}

async fn page(
    state: &AppState,
    user: &ConsoleUser,
    app_id: Uuid,
    req: &HttpRequest,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let app = load_app(state, &user.caller, app_id).await?;
    let mut q = ListQuery::parse(req, &[("created_at", "t.created_at", Kind::Time)])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let listed = hookd_db::tasks::list(&client, app_id, &q.filters, &q.page).await?;
    let base = format!("/console/apps/{app_id}/tasks");
    let body = html! {
        (app_heading(&app, "Tasks", "tasks"))
        (layout::alert_opt(error.as_deref()))
        @if listed.models.is_empty() {
            p.empty { "No tasks. Tasks are scheduled with POST /api/v1/apps/{app_id}/tasks and show here until they run." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Event type" } th scope="col" { "Status" }
                        th scope="col" { "Scheduled" } th scope="col" { "Created" }
                        th scope="col" { span.visually-hidden { "Actions" } }
                    } }
                    tbody {
                        @for t in &listed.models {
                            tr {
                                td { (t.event_type) }
                                td { (status_cell(t.status.map_or("scheduled", |s| s.as_str()))) }
                                td { (layout::time(t.scheduled_run_time)) }
                                td { (layout::time(t.created_at)) }
                                td {
                                    @if t.status.is_none() {
                                        form.inline method="post" action={(base) "/" (t.id) "/cancel"} {
                                            (layout::csrf_field(&user.csrf))
                                            button.danger type="submit" { "Cancel" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (pager(&base, "", listed.next.as_deref(), listed.prev.as_deref()))
        }
    };
    Ok(layout::respond(
        status,
        layout::page("Tasks", Chrome::Console { csrf: &user.csrf }, body),
    ))
}

async fn list(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    page(&state, &user, *path, &req, None, StatusCode::OK).await
}

async fn cancel(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<(Uuid, Uuid)>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let (app_id, task_id) = path.into_inner();
    load_app(&state, &user.caller, app_id).await?;
    match cancel_task(&state, &user.caller, task_id).await {
        Ok(_) => Ok(layout::see_other(&format!("/console/apps/{app_id}/tasks"))),
        Err(e) if e.status == StatusCode::CONFLICT => {
            page(&state, &user, app_id, &req, Some(e.message), e.status).await
        }
        Err(e) => Err(e.into()),
    }
}
