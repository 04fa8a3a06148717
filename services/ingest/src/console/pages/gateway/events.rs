//! `/console/events`: the events made of requests, one per matching connection, filtered by
//! status; an event's page with its attempts. Read straight from gw_events and gw_attempts.

use super::{gateway_nav, respond};
use crate::console::error::PageError;
use crate::console::layout;
use crate::console::pages::{pager, status_cell, PAGE_SIZE};
use crate::console::session::ConsoleUser;
use crate::gateway::ids::{self, CONNECTION, EVENT, REQUEST};
use crate::list::ListQuery;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use hookd_db::gateway::event_log::{self, EventRow};
use hookd_db::{Filter, FilterValue, Op};
use maud::{html, Markup};

/// Event statuses of GATEWAY.md.
const STATUSES: [&str; 5] = ["SCHEDULED", "QUEUED", "HOLD", "SUCCESSFUL", "FAILED"];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/events", web::get().to(list))
        .route("/events/{id}", web::get().to(show));
}

/// A status as a word of the status cells (`successful`, `hold`...).
fn word(status: &str) -> String {
    status.to_ascii_lowercase()
}

/// Events as a table: links to each event and its connection.
pub fn events_table(events: &[EventRow]) -> Markup {
    html! {
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { "Event" } th scope="col" { "Connection" }
                    th scope="col" { "Status" } th scope="col" { "Attempts" }
                    th scope="col" { "Response" } th scope="col" { "Created" }
                } }
                tbody {
                    @for e in events {
                        tr {
                            td { a href={"/console/events/" (ids::format(EVENT, e.id))} { code { (ids::format(EVENT, e.id)) } } }
                            td { a href={"/console/connections/" (ids::format(CONNECTION, e.connection_id))} { (e.connection) } }
                            td { (status_cell(&word(&e.status))) }
                            td { (e.attempts) }
                            td { (response(e.response_status, e.error_code.as_deref())) }
                            td { (layout::time(e.created_at)) }
                        }
                    }
                }
            }
        }
    }
}

fn response(status: Option<i32>, error: Option<&str>) -> String {
    match (status, error) {
        (Some(s), _) => s.to_string(),
        (None, Some(e)) => e.to_owned(),
        (None, None) => "—".into(),
    }
}

async fn list(
    state: web::Data<AppState>,
    user: ConsoleUser,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let status = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "status")
        .map(|(_, v)| v.trim().to_ascii_uppercase())
        .unwrap_or_default();
    let (status, error) = if status.is_empty() || STATUSES.contains(&status.as_str()) {
        (status, None)
    } else {
        (
            String::new(),
            Some("status must be one of the statuses listed"),
        )
    };
    let filters: Vec<Filter> = if status.is_empty() {
        vec![]
    } else {
        vec![Filter {
            column: "e.status",
            op: Op::Eq,
            value: FilterValue::Text(status.clone()),
        }]
    };
    let mut q = ListQuery::parse(&req, &[])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let org = user.caller.organization_id;
    let listed = event_log::list(&client, org, None, &filters, &q.page).await?;
    let query = if status.is_empty() {
        String::new()
    } else {
        format!("status={}", word(&status))
    };
    let body = html! {
        h1 { "Events" }
        (gateway_nav("events"))
        (layout::alert_opt(error))
        form.filters method="get" action="/console/events" {
            div {
                label for="f_status" { "Status" }
                select #f_status name="status" {
                    option value="" { "any" }
                    @for s in STATUSES {
                        option value=(word(s)) selected[status == s] { (word(s)) }
                    }
                }
            }
            button type="submit" { "Filter" }
        }
        @if listed.models.is_empty() {
            p.empty { "No events match. Each accepted request makes an event per connection of its source that lets it through." }
        } @else {
            (events_table(&listed.models))
            (pager("/console/events", &query, listed.next.as_deref(), listed.prev.as_deref()))
        }
    };
    let code = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(respond(&user, code, "Events", body))
}

async fn show(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = ids::parse(EVENT, &path).ok_or(PageError::NotFound)?;
    let client = state.client().await?;
    let org = user.caller.organization_id;
    let e = event_log::get(&client, org, id).await?;
    let attempts = event_log::attempts(&client, org, &[e.id]).await?;
    let body = html! {
        p.crumb { a href="/console/events" { "Events" } }
        h1 { "Event" }
        dl.details {
            dt { "Event id" } dd { code { (ids::format(EVENT, e.id)) } }
            dt { "Connection" } dd { a href={"/console/connections/" (ids::format(CONNECTION, e.connection_id))} { (e.connection) } }
            dt { "Request" } dd { a href={"/console/requests/" (ids::format(REQUEST, e.request_id))} { code { (ids::format(REQUEST, e.request_id)) } } }
            dt { "Status" } dd { (status_cell(&word(&e.status))) }
            dt { "Attempts" } dd { (e.attempts) }
            @if let Some(t) = e.last_attempt_at { dt { "Last attempt" } dd { (layout::time(t)) } }
            @if let Some(t) = e.next_attempt_at { dt { "Next attempt" } dd { (layout::time(t)) } }
            dt { "Created" } dd { (layout::time(e.created_at)) }
        }
        section aria-labelledby="attempts_h" {
            h2 #attempts_h { "Attempts" }
            @if attempts.is_empty() {
                p.empty { "No attempts yet." }
            } @else {
                div.table-wrap {
                    table aria-labelledby="attempts_h" {
                        thead { tr {
                            th scope="col" { "Attempt" } th scope="col" { "Trigger" }
                            th scope="col" { "Status" } th scope="col" { "Status code" }
                            th scope="col" { "Duration" } th scope="col" { "Response" }
                            th scope="col" { "Time" }
                        } }
                        tbody {
                            @for (_, a) in &attempts {
                                tr {
                                    td { (a.attempt_number) }
                                    td { (word(&a.trigger)) }
                                    td { (status_cell(&word(&a.status))) }
                                    td { (response(a.response_status, a.error_code.as_deref())) }
                                    td { (a.duration_ms) " ms" }
                                    td { @if let Some(b) = &a.body { pre.response { (b) } } @else { "—" } }
                                    td { (layout::time(a.created_at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(&user, StatusCode::OK, "Event", body))
}
