//! The message log and the message page, shared by the console (an app's messages) and the
//! portal (messages with a delivery to its subscription's endpoints, only those deliveries).

use super::{pager, status_cell, PAGE_SIZE};
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::layout;
use crate::console::surface::Surface;
use crate::error::ApiError;
use crate::list::ListQuery;
use crate::routes::deliveries::{retry_deliveries, retry_delivery};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use hookd_db::deliveries::RetryFilter;
use hookd_db::message_log::{self, Scope};
use hookd_db::{Filter, FilterValue, Op};
use hookd_domain::DeliveryStatus;
use maud::html;
use std::collections::HashMap;
use uuid::Uuid;

/// The filters of the log, from the query string (a GET form) or the Retry failed form.
#[derive(Default)]
pub struct Filters {
    pub event_type: Option<String>,
    pub status: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// As typed, to put back in the form.
    from_text: String,
    to_text: String,
}

/// `2026-11-30T20:15` (a datetime-local field, read as UTC), or a full RFC 3339 time.
fn parse_time(text: &str, field: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Some(t.and_utc()));
        }
    }
    Err(ApiError::invalid(format!(
        "{field} must be a date and time"
    )))
}

impl Filters {
    pub fn parse(pairs: &FormData) -> Result<Self, ApiError> {
        let status = pairs.get("status").map(str::to_owned);
        if let Some(s) = &status {
            if DeliveryStatus::parse(s).is_none() {
                return Err(ApiError::invalid(
                    "status must be one of pending, succeeded, failed",
                ));
            }
        }
        Ok(Filters {
            event_type: pairs.get("event_type").map(str::to_owned),
            status,
            from: parse_time(pairs.value("from"), "From")?,
            to: parse_time(pairs.value("to"), "To")?,
            from_text: pairs.value("from").to_owned(),
            to_text: pairs.value("to").to_owned(),
        })
    }

    pub fn from_query(req: &HttpRequest) -> Result<Self, ApiError> {
        let pairs = url::form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self::parse(&FormData(pairs))
    }

    fn db_filters(&self) -> Vec<Filter> {
        let mut out = Vec::new();
        if let Some(t) = &self.event_type {
            out.push(Filter {
                column: "m.event_type",
                op: Op::Eq,
                value: FilterValue::Text(t.clone()),
            });
        }
        if let Some(t) = self.from {
            out.push(Filter {
                column: "m.created_at",
                op: Op::Gte,
                value: FilterValue::Time(t),
            });
        }
        if let Some(t) = self.to {
            out.push(Filter {
                column: "m.created_at",
                op: Op::Lte,
                value: FilterValue::Time(t),
            });
        }
        out
    }

    /// The query string that reproduces these filters (for the pager).
    fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("event_type", self.event_type.clone().unwrap_or_default()),
            ("status", self.status.clone().unwrap_or_default()),
            ("from", self.from_text.clone()),
            ("to", self.to_text.clone()),
        ] {
            if !v.is_empty() {
                q.append_pair(k, &v);
            }
        }
        q.finish()
    }
}

/// What frames the log: the page's heading, the app's event types, a note.
pub struct LogView<'a> {
    pub heading: maud::Markup,
    pub types: &'a [String],
    pub note: Option<String>,
}

/// The log page. `app_id` is the app (the portal's is its subscription's).
pub async fn log(
    state: &AppState,
    surface: &Surface<'_>,
    app_id: Uuid,
    req: &HttpRequest,
    view: LogView<'_>,
) -> Result<HttpResponse, PageError> {
    let LogView {
        heading,
        types,
        note,
    } = view;
    let base = surface.messages_path(app_id);
    let (filters, error) = match Filters::from_query(req) {
        Ok(f) => (f, None),
        Err(e) => (Filters::default(), Some(e.message)),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    // Only the cursors come from ListQuery: the filters have their own names here.
    let mut q = ListQuery::parse(req, &[])?;
    q.page.limit = PAGE_SIZE;
    let scope = Scope {
        status: filters.status.as_deref().and_then(DeliveryStatus::parse),
        subscription_id: surface.scope(),
    };
    let client = state.client().await?;
    let listed = message_log::list(&client, app_id, scope, &filters.db_filters(), &q.page).await?;
    let ids: Vec<Uuid> = listed.models.iter().map(|m| m.id).collect();
    let deliveries = message_log::deliveries(&client, &ids, surface.scope()).await?;
    let mut statuses: HashMap<Uuid, Vec<&str>> = HashMap::new();
    for d in &deliveries {
        statuses
            .entry(d.delivery.message_id)
            .or_default()
            .push(d.delivery.status.as_str());
    }
    let filtered = filters.query();
    let body = html! {
        (heading)
        @if let Some(n) = &note { (layout::note(n)) }
        (layout::alert_opt(error.as_deref()))
        form.filters method="get" action=(base) {
            div {
                label for="f_event_type" { "Event type" }
                select #f_event_type name="event_type" {
                    option value="" { "Any" }
                    @for t in types {
                        option value=(t) selected[filters.event_type.as_deref() == Some(t.as_str())] { (t) }
                    }
                }
            }
            div {
                label for="f_status" { "Status" }
                select #f_status name="status" {
                    option value="" { "Any" }
                    @for s in ["pending", "succeeded", "failed"] {
                        option value=(s) selected[filters.status.as_deref() == Some(s)] { (s) }
                    }
                }
            }
            div {
                label for="f_from" { "From" }
                input #f_from type="datetime-local" name="from" value=(filters.from_text);
            }
            div {
                label for="f_to" { "To" }
                input #f_to type="datetime-local" name="to" value=(filters.to_text);
            }
            button type="submit" { "Filter" }
        }
        @if surface.can_change() {
            form.inline method="post" action={(base) "/retry"} {
                (layout::csrf_field(surface.csrf))
                @if let Some(t) = &filters.event_type { input type="hidden" name="event_type" value=(t); }
                input type="hidden" name="from" value=(filters.from_text);
                input type="hidden" name="to" value=(filters.to_text);
                button.secondary type="submit" { "Retry failed" }
            }
        }
        @if listed.models.is_empty() {
            p.empty { @if filtered.is_empty() { "No messages yet." } @else { "No messages match these filters." } }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Message" } th scope="col" { "Event type" }
                        th scope="col" { "Status" } th scope="col" { "Created" }
                    } }
                    tbody {
                        @for m in &listed.models {
                            tr {
                                td { a href=(surface.message_path(m.id)) { code { (m.id) } } }
                                td { (m.event_type) }
                                td { (status_cell(message_log::status_of(statuses.get(&m.id).into_iter().flatten().copied()))) }
                                td { (layout::time(m.created_at)) }
                            }
                        }
                    }
                }
            }
        }
        (pager(&base, &filtered, listed.next.as_deref(), listed.prev.as_deref()))
    };
    Ok(layout::respond(
        status,
        layout::page("Messages", surface.chrome(), body),
    ))
}

/// "Retry failed": the failed deliveries that the filters select, in the portal only those
/// to its own endpoints (one bulk retry per endpoint: the API's own filter).
pub async fn retry_failed(
    state: &AppState,
    surface: &Surface<'_>,
    app_id: Uuid,
    form: &FormData,
) -> Result<u64, ApiError> {
    let filters = Filters::parse(form)?;
    let base = RetryFilter {
        status: Some(DeliveryStatus::Failed),
        endpoint_id: None,
        event_type: filters.event_type.clone(),
        created_gte: filters.from,
        created_lte: filters.to,
    };
    match surface.scope() {
        None => retry_deliveries(state, &surface.caller, app_id, &base).await,
        Some(sub) => {
            let client = state.client().await?;
            let all = super::everything();
            let endpoints = hookd_db::endpoints::list(&client, sub, &[], &all).await?;
            let mut count = 0;
            for e in endpoints.models {
                let filter = RetryFilter {
                    endpoint_id: Some(e.id),
                    ..base.clone()
                };
                count += retry_deliveries(state, &surface.caller, app_id, &filter).await?;
            }
            Ok(count)
        }
    }
}

/// The message page: payload, and a section per delivery with its attempts.
pub async fn message(
    state: &AppState,
    surface: &Surface<'_>,
    id: Uuid,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let client = state.client().await?;
    let (m, app_id) =
        message_log::get(&client, surface.caller.organization_id, id, surface.scope())
            .await
            .map_err(ApiError::from_db("message"))?;
    if surface.portal.is_some_and(|p| p.app_id != app_id) {
        return Err(PageError::NotFound);
    }
    let deliveries = message_log::deliveries(&client, &[id], surface.scope()).await?;
    let mut attempts = Vec::with_capacity(deliveries.len());
    let all = super::everything();
    for d in &deliveries {
        attempts.push(
            hookd_db::attempts::list_by_delivery(&client, d.delivery.id, &[], &all)
                .await?
                .models,
        );
    }
    let overall = message_log::status_of(deliveries.iter().map(|d| d.delivery.status.as_str()));
    let payload = serde_json::to_string_pretty(&m.data).unwrap_or_default();
    let body = html! {
        h1 { "Message" }
        p { a href=(surface.messages_path(app_id)) { "All messages" } }
        (layout::alert_opt(error.as_deref()))
        dl.details {
            dt { "Message id" } dd { code { (m.id) } }
            dt { "Event type" } dd { (m.event_type) }
            dt { "Version" } dd { (m.version) }
            @if let Some(e) = &m.event_id { dt { "Event id" } dd { (e) } }
            dt { "Status" } dd { (status_cell(overall)) }
            dt { "Created" } dd { (layout::time(m.created_at)) }
        }
        section aria-labelledby="payload-h" {
            h2 #payload-h { "Payload" }
            @if let Some(at) = m.expunged_at {
                p.empty { "Expunged " (layout::time(at)) " (retention, or deleted on request)." }
            } @else {
                pre { code { (payload) } }
            }
        }
        @if deliveries.is_empty() {
            p.empty { "No deliveries: no enabled endpoint was subscribed to this event type when it was sent." }
        }
        @for (i, (d, tries)) in deliveries.iter().zip(&attempts).enumerate() {
            section.delivery aria-labelledby={"delivery-" (i)} {
                h2 id={"delivery-" (i)} { (d.url) }
                p {
                    "Status " (status_cell(d.delivery.status.as_str()))
                    " · " (d.delivery.attempt_count) " attempts"
                    @if let Some(next) = d.delivery.next_attempt_at {
                        @if d.delivery.status == DeliveryStatus::Pending { " · next try " (layout::time(next)) }
                    }
                }
                @if surface.can_change() {
                    form.inline method="post" action={(surface.message_path(id)) "/deliveries/" (d.delivery.id) "/retry"} {
                        (layout::csrf_field(surface.csrf))
                        button.secondary type="submit" { "Retry" }
                    }
                }
                div.table-wrap {
                    table {
                        caption { "Attempts" }
                        thead { tr {
                            th scope="col" { "Attempt" } th scope="col" { "Status code" }
                            th scope="col" { "Duration" } th scope="col" { "Response" }
                            th scope="col" { "Time" }
                        } }
                        tbody {
                            @if tries.is_empty() {
                                tr { td colspan="5" { "No attempt yet." } }
                            }
                            @for t in tries {
                                tr {
                                    td { (t.attempt) }
                                    td { @if let Some(s) = t.response_status { (s) } @else { "none" } }
                                    td { (t.duration_ms) " ms" }
                                    td {
                                        @if let Some(e) = &t.error { (e) }
                                        @else { (t.response_body.as_deref().unwrap_or("")) }
                                    }
                                    td { (layout::time(t.created_at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::respond(
        status,
        layout::page("Message", surface.chrome(), body),
    ))
}

/// The Retry button of a delivery: only a delivery shown on this message page (in the
/// portal, one to its own endpoints) may be retried from it.
pub async fn retry_one(
    state: &AppState,
    surface: &Surface<'_>,
    message_id: Uuid,
    delivery_id: Uuid,
) -> Result<HttpResponse, PageError> {
    surface.require_change()?;
    let client = state.client().await?;
    message_log::get(
        &client,
        surface.caller.organization_id,
        message_id,
        surface.scope(),
    )
    .await
    .map_err(ApiError::from_db("message"))?;
    let shown = message_log::deliveries(&client, &[message_id], surface.scope()).await?;
    if !shown.iter().any(|d| d.delivery.id == delivery_id) {
        return Err(PageError::NotFound);
    }
    match retry_delivery(state, &surface.caller, delivery_id).await {
        Ok(_) => Ok(layout::see_other(&surface.message_path(message_id))),
        Err(e) if e.status == StatusCode::CONFLICT => {
            message(state, surface, message_id, Some(e.message), e.status).await
        }
        Err(e) => Err(e.into()),
    }
}
