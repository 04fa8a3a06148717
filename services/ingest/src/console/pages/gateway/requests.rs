//! `/console/requests`: what arrived at source URLs, filtered by accepted or rejected and the
//! rejection cause; a request's page with its headers, body and events.

use super::events::events_table;
use super::{gateway_nav, respond};
use crate::console::error::PageError;
use crate::console::layout;
use crate::console::pages::{everything, pager, status_cell, PAGE_SIZE};
use crate::console::session::ConsoleUser;
use crate::gateway::ids::{self, REQUEST, SOURCE};
use crate::gateway::requests::path_id;
use crate::list::ListQuery;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use hookd_db::gateway::{event_log, requests as db, sources as db_sources};
use hookd_db::{Filter, FilterValue, Op};
use maud::html;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// A request's cause when it was refused (4xx); NULL when it was answered 200 (NO_CONNECTION
/// is answered 200: the request is accepted, only routed nowhere).
pub const ANSWERED_4XX: &str = "nullif(r.rejection_cause, 'NO_CONNECTION')";

/// The causes GATEWAY.md gives a rejected request.
const CAUSES: [&str; 4] = [
    "SOURCE_DISABLED",
    "UNSUPPORTED_HTTP_METHOD",
    "VERIFICATION_FAILED",
    "PAYLOAD_TOO_LARGE",
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/requests", web::get().to(list))
        .route("/requests/{id}", web::get().to(show));
}

/// The filters of the list, from its query string (unknown values: 422 and no filter).
struct Filters {
    status: String,
    cause: String,
    source: Option<Uuid>,
    source_text: String,
}

impl Filters {
    fn parse(req: &HttpRequest) -> (Self, Option<&'static str>) {
        let pairs: HashMap<String, String> =
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
                .collect();
        let get = |k: &str| pairs.get(k).cloned().unwrap_or_default();
        let mut f = Filters {
            status: get("status"),
            cause: get("cause"),
            source: None,
            source_text: get("source"),
        };
        let mut error = None;
        if !["", "accepted", "rejected"].contains(&f.status.as_str()) {
            error = Some("status must be accepted or rejected");
            f.status.clear();
        }
        if !f.cause.is_empty() && !CAUSES.contains(&f.cause.as_str()) {
            error = Some("cause must be one of the causes listed");
            f.cause.clear();
        }
        if !f.source_text.is_empty() {
            f.source = ids::parse(SOURCE, &f.source_text);
            if f.source.is_none() {
                error = Some("source must be a source id");
                f.source_text.clear();
            }
        }
        (f, error)
    }

    fn db(&self) -> Vec<Filter> {
        let mut out = Vec::new();
        match self.status.as_str() {
            "accepted" => out.push(Filter {
                column: ANSWERED_4XX,
                op: Op::IsNull,
                value: FilterValue::Nothing,
            }),
            "rejected" => out.push(Filter {
                column: ANSWERED_4XX,
                op: Op::NotNull,
                value: FilterValue::Nothing,
            }),
            _ => {}
        }
        if !self.cause.is_empty() {
            out.push(Filter {
                column: "r.rejection_cause",
                op: Op::Eq,
                value: FilterValue::Text(self.cause.clone()),
            });
        }
        if let Some(s) = self.source {
            out.push(Filter {
                column: "r.source_id",
                op: Op::Eq,
                value: FilterValue::Uuid(s),
            });
        }
        out
    }

    /// The query string that keeps these filters (for the pager).
    fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.status),
            ("cause", &self.cause),
            ("source", &self.source_text),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }
}

/// `accepted`, or `rejected` (with a cause), as the API's `status` filter says.
fn outcome(cause: Option<&str>) -> &'static str {
    match cause {
        None | Some("NO_CONNECTION") => "accepted",
        Some(_) => "rejected",
    }
}

async fn list(
    state: web::Data<AppState>,
    user: ConsoleUser,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let (filters, error) = Filters::parse(&req);
    let mut q = ListQuery::parse(&req, &[])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let org = user.caller.organization_id;
    let listed = db::list(&client, org, &filters.db(), &q.page).await?;
    let sources = db_sources::list(&client, org, true, &[], &everything()).await?;
    let source_names: HashMap<Uuid, &str> = sources
        .models
        .iter()
        .map(|s| (s.id, s.name.as_str()))
        .collect();
    let body = html! {
        h1 { "Requests" }
        (gateway_nav("requests"))
        (layout::alert_opt(error))
        form.filters method="get" action="/console/requests" {
            @if !filters.source_text.is_empty() {
                input type="hidden" name="source" value=(filters.source_text);
            }
            div {
                label for="f_status" { "Status" }
                select #f_status name="status" {
                    option value="" { "any" }
                    @for s in ["accepted", "rejected"] {
                        option value=(s) selected[filters.status == s] { (s) }
                    }
                }
            }
            div {
                label for="f_cause" { "Rejection cause" }
                select #f_cause name="cause" {
                    option value="" { "any" }
                    @for c in CAUSES {
                        option value=(c) selected[filters.cause == c] { (c) }
                    }
                }
            }
            button type="submit" { "Filter" }
        }
        @if listed.models.is_empty() {
            p.empty { "No requests match. Requests appear here when a provider sends to a "
                a href="/console/sources" { "source URL" } "." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Request" } th scope="col" { "Source" }
                        th scope="col" { "Status" } th scope="col" { "Cause" }
                        th scope="col" { "Events" } th scope="col" { "Received" }
                    } }
                    tbody {
                        @for r in &listed.models {
                            tr {
                                td { a href={"/console/requests/" (ids::format(REQUEST, r.id))} { code { (ids::format(REQUEST, r.id)) } } }
                                td { (source_names.get(&r.source_id).copied().unwrap_or("deleted")) }
                                td { (status_cell(outcome(r.rejection_cause.as_deref()))) }
                                td { (r.rejection_cause.as_deref().unwrap_or("—")) }
                                td { (r.events_count) }
                                td { (layout::time(r.ingested_at)) }
                            }
                        }
                    }
                }
            }
            (pager("/console/requests", &filters.query(), listed.next.as_deref(), listed.prev.as_deref()))
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(respond(&user, status, "Requests", body))
}

/// JSON as a person reads it; text as it came.
fn pretty(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
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
    let r = db::get(&client, org, id).await?;
    let source = db_sources::get(&client, org, r.source_id).await.ok();
    let events = event_log::list(&client, org, Some(r.id), &[], &everything()).await?;
    let headers: Vec<(String, String)> = r.data["headers"]
        .as_object()
        .map(|h| h.iter().map(|(k, v)| (k.clone(), pretty(v))).collect())
        .unwrap_or_default();
    let raw = ids::format(REQUEST, r.id);
    let body = html! {
        p.crumb { a href="/console/requests" { "Requests" } }
        h1 { "Request" }
        dl.details {
            dt { "Request id" } dd { code { (raw) } }
            dt { "Source" } dd {
                @if let Some(s) = &source {
                    a href={"/console/sources/" (ids::format(SOURCE, s.id))} { (s.name) }
                } @else { "deleted" }
            }
            dt { "Status" } dd { (status_cell(outcome(r.rejection_cause.as_deref()))) }
            @if let Some(cause) = &r.rejection_cause { dt { "Cause" } dd { (cause) } }
            dt { "Verified" } dd { (if r.verified { "yes" } else { "no" }) }
            dt { "Method" } dd { (r.method) }
            dt { "Path" } dd { code { (r.data["path"].as_str().unwrap_or("/")) } }
            @if let Some(q) = r.data["query"].as_str().filter(|q| !q.is_empty()) {
                dt { "Query" } dd { code { (q) } }
            }
            dt { "Received" } dd { (layout::time(r.ingested_at)) }
        }
        section aria-labelledby="headers_h" {
            h2 #headers_h { "Headers" }
            div.table-wrap {
                table aria-labelledby="headers_h" {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Value" } } }
                    tbody {
                        @for (k, v) in &headers { tr { td { code { (k) } } td { code.url { (v) } } } }
                    }
                }
            }
        }
        section aria-labelledby="body_h" {
            h2 #body_h { "Body" }
            @let text = pretty(&r.data["body"]);
            @if text.is_empty() { p.empty { "No body." } } @else { pre.payload { (text) } }
        }
        section aria-labelledby="events_h" {
            h2 #events_h { "Events" }
            @if events.models.is_empty() {
                p.empty { "No events: " (if r.rejection_cause.is_some() { "the request was rejected or had no connection." } else { "none yet (events are made within a second), or every connection ignored it." }) }
            } @else {
                (events_table(&events.models))
            }
        }
    };
    Ok(respond(&user, StatusCode::OK, "Request", body))
}
