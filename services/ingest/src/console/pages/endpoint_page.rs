//! The endpoint page and its actions, shared by the console and the portal.

use super::endpoint_form::{self, Values};
use super::{app_event_types, status_cell};
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::layout;
use crate::console::surface::Surface;
use crate::routes::endpoints::{
    delete_endpoint, endpoint_secret, load_endpoint, rotate_endpoint_secret, update_endpoint,
};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::html;
use serde_json::{json, Map};
use uuid::Uuid;

/// What a render of the page adds: a revealed secret, a note, an error.
#[derive(Default)]
pub struct Shown {
    pub secret: Option<String>,
    pub note: Option<&'static str>,
    pub error: Option<String>,
}

pub async fn render(
    state: &AppState,
    surface: &Surface<'_>,
    sub_id: Uuid,
    id: Uuid,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let e = load_endpoint(state, &surface.caller, sub_id, id).await?;
    let path = surface.endpoint_path(sub_id, id);
    let change = surface.can_change();
    let health = super::health::endpoint_section(state, surface, &e).await?;
    let lanes = super::endpoint_lanes::section(state, surface, &e).await?;
    let body = html! {
        h1 { (e.url) }
        p { a href=(surface.endpoints_path(sub_id)) { "All endpoints" } }
        @if let Some(n) = shown.note { (layout::note(n)) }
        (layout::alert_opt(shown.error.as_deref()))
        dl.details {
            dt { "Status" } dd { (status_cell(e.status.as_str())) }
            @if let Some(reason) = &e.disabled_reason {
                dt { "Disabled because" } dd { (reason) }
            }
            dt { "Version" } dd { (e.version) }
            dt { "Event types" } dd { (e.event_types.join(", ")) }
            dt { "Description" } dd { (e.description.as_deref().unwrap_or("—")) }
            // Read-only here: set or change a filter with the API (the edit form keeps it).
            dt { "Filter" }
            dd {
                @match &e.filter {
                    Some(f) => code.filter { (f) },
                    None => "— (every message of its event types)",
                }
            }
            // Read-only here too: set it with the API.
            dt { "Ordering" } dd { (e.ordering.as_str()) }
            dt { "Endpoint id" } dd { code { (e.id) } }
            dt { "Created" } dd { (layout::time(e.created_at)) }
        }
        @if change {
            p { a href={(path) "/edit"} { "Edit" } }
            @if let Some(secret) = &shown.secret {
                div.stack {
                    label for="secret" { "Signing secret" }
                    input #secret.secret type="text" readonly value=(secret);
                }
            }
            div.actions {
                form.inline method="post" action={(path) "/status"} {
                    (layout::csrf_field(surface.csrf))
                    @if e.status == hookd_domain::EndpointStatus::Enabled {
                        input type="hidden" name="status" value="disabled";
                        button.secondary type="submit" { "Disable" }
                    } @else {
                        input type="hidden" name="status" value="enabled";
                        button.secondary type="submit" { "Enable" }
                    }
                }
                form.inline method="post" action={(path) "/secret"} {
                    (layout::csrf_field(surface.csrf))
                    button.secondary type="submit" { "Reveal secret" }
                }
                form.inline method="post" action={(path) "/rotate"} {
                    (layout::csrf_field(surface.csrf))
                    button.secondary type="submit" { "Rotate secret" }
                }
                form.inline method="post" action={(path) "/delete"} {
                    (layout::csrf_field(surface.csrf))
                    button.danger type="submit" { "Delete" }
                }
            }
            h2 { "Send a test message" }
            form.stack method="post" action={(path) "/test"} {
                (layout::csrf_field(surface.csrf))
                label for="test_event_type" { "Event type" }
                select #test_event_type name="event_type" {
                    @for t in &e.event_types { option value=(t) { (t) } }
                }
                button type="submit" { "Send test message" }
            }
        }
        (lanes)
        (health)
    };
    Ok(layout::respond(
        status,
        layout::page(&e.url, surface.chrome(), body),
    ))
}

/// The page's buttons. Every one changes something, so a read-only portal gets 403.
pub async fn act(
    state: &AppState,
    surface: &Surface<'_>,
    sub_id: Uuid,
    id: Uuid,
    action: &str,
    form: &FormData,
) -> Result<HttpResponse, PageError> {
    surface.require_change()?;
    let path = surface.endpoint_path(sub_id, id);
    let caller = &surface.caller;
    let result = match action {
        "status" => {
            let mut body = Map::new();
            body.insert("status".into(), json!(form.value("status")));
            update_endpoint(state, caller, sub_id, id, crate::body::from_object(&body)?)
                .await
                .map(|_| layout::see_other(&path))
        }
        "secret" => {
            let shown = Shown {
                secret: Some(endpoint_secret(state, caller, sub_id, id).await?),
                ..Shown::default()
            };
            return render(state, surface, sub_id, id, shown, StatusCode::OK).await;
        }
        "rotate" => {
            let e = rotate_endpoint_secret(state, caller, sub_id, id, Default::default()).await?;
            let shown = Shown {
                secret: e.secret,
                note: Some("Secret rotated. The previous secret keeps signing for a grace period."),
                ..Shown::default()
            };
            return render(state, surface, sub_id, id, shown, StatusCode::OK).await;
        }
        "delete" => delete_endpoint(state, caller, sub_id, id)
            .await
            .map(|_| layout::see_other(&surface.endpoints_path(sub_id))),
        "test" => {
            let e = load_endpoint(state, caller, sub_id, id).await?;
            let event_type = form.value("event_type").to_owned();
            let data = crate::routes::event_types::example_of(state, e.app_id, &event_type).await?;
            let body = crate::routes::messages::SendMessage {
                event_type: Some(event_type),
                data: crate::body::Nullable::Value(data),
                version: Some(e.version.clone()),
                event_id: None,
            };
            crate::routes::messages::send_to_one_endpoint(state, caller, sub_id, id, body)
                .await
                .map(|(m, _)| layout::see_other(&surface.message_path(m.id)))
        }
        _ => return Err(PageError::NotFound),
    };
    match result {
        Ok(response) => Ok(response),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let shown = Shown {
                error: Some(e.message),
                ..Shown::default()
            };
            render(state, surface, sub_id, id, shown, e.status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The edit page.
pub async fn edit_form(
    state: &AppState,
    surface: &Surface<'_>,
    sub_id: Uuid,
    id: Uuid,
    typed: Option<(&FormData, String, StatusCode)>,
) -> Result<HttpResponse, PageError> {
    surface.require_change()?;
    let e = load_endpoint(state, &surface.caller, sub_id, id).await?;
    let types = app_event_types(state, e.app_id).await?;
    let path = surface.endpoint_path(sub_id, id);
    let (values, error, status) = match typed {
        Some((form, error, status)) => (Values::typed(form), Some(error), status),
        None => (Values::of(&e), None, StatusCode::OK),
    };
    let body = html! {
        h1 { "Edit endpoint" }
        p { a href=(path) { "Back to the endpoint" } }
        (endpoint_form::render(&format!("{path}/edit"), surface.csrf, &values, &types, "Save", error.as_deref()))
    };
    Ok(layout::respond(
        status,
        layout::page("Edit endpoint", surface.chrome(), body),
    ))
}

pub async fn edit(
    state: &AppState,
    surface: &Surface<'_>,
    sub_id: Uuid,
    id: Uuid,
    form: &FormData,
) -> Result<HttpResponse, PageError> {
    surface.require_change()?;
    let fields = endpoint_form::fields(form, true);
    match async {
        update_endpoint(
            state,
            &surface.caller,
            sub_id,
            id,
            crate::body::from_object(&fields)?,
        )
        .await
    }
    .await
    {
        Ok(_) => Ok(layout::see_other(&surface.endpoint_path(sub_id, id))),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            edit_form(
                state,
                surface,
                sub_id,
                id,
                Some((form, e.message, e.status)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
