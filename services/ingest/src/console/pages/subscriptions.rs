//! `/console/apps/{app_id}/subscriptions` (list, create) and `/console/subscriptions/{sid}`:
//! its endpoints, create endpoint, portal links.

use super::endpoint_form::{self, Values};
use super::{app_event_types, app_heading, load_app, pager, status_cell, PAGE_SIZE};
use crate::console::csrf;
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::layout::{self, Chrome};
use crate::console::session::ConsoleUser;
use crate::list::{Kind, ListQuery};
use crate::routes::endpoints::create_endpoint;
use crate::routes::portal_access::{create_portal_access, expire_portal_access, PortalAccessInput};
use crate::routes::subscriptions::{create_subscription, SubscriptionInput};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps/{app_id}/subscriptions", web::get().to(list))
        .route("/apps/{app_id}/subscriptions", web::post().to(create))
        .route("/subscriptions/{sid}", web::get().to(show))
        .route("/subscriptions/{sid}", web::post().to(create_ep))
        .route(
            "/subscriptions/{sid}/portal_link",
            web::post().to(portal_link),
        )
        .route(
            "/subscriptions/{sid}/revoke_links",
            web::post().to(revoke_links),
        );
}

async fn list_page(
    state: &AppState,
    user: &ConsoleUser,
    app_id: Uuid,
    req: &HttpRequest,
    status: StatusCode,
    failed: Option<(&FormData, String)>,
) -> Result<HttpResponse, PageError> {
    let app = load_app(state, &user.caller, app_id).await?;
    let mut q = ListQuery::parse(req, &[("created_at", "s.created_at", Kind::Time)])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let listed = hookd_db::subscriptions::list(&client, app_id, &q.filters, &q.page).await?;
    let ids: Vec<Uuid> = listed.models.iter().map(|s| s.id).collect();
    let counts = hookd_db::subscriptions::endpoint_counts(&client, &ids).await?;
    let base = format!("/console/apps/{app_id}/subscriptions");
    let (typed, error) = match &failed {
        Some((f, e)) => (f.value("name"), Some(e.as_str())),
        None => ("", None),
    };
    let body = html! {
        (app_heading(&app, "Subscriptions", "subscriptions"))
        @if listed.models.is_empty() {
            p.empty { "No subscriptions yet. A subscription is one subscriber of this app, with its endpoints." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Endpoints" } th scope="col" { "Created" }
                    } }
                    tbody {
                        @for s in &listed.models {
                            tr {
                                td { a href={"/console/subscriptions/" (s.id)} { (s.name) } }
                                td { (counts.get(&s.id).copied().unwrap_or(0)) }
                                td { (layout::time(s.created_at)) }
                            }
                        }
                    }
                }
            }
            (pager(&base, "", listed.next.as_deref(), listed.prev.as_deref()))
        }
        h2 { "Create a subscription" }
        (layout::alert_opt(error))
        form.stack method="post" action=(base) {
            (layout::csrf_field(&user.csrf))
            label for="name" { "Name" }
            input #name type="text" name="name" value=(typed) required maxlength="256";
            button type="submit" { "Create subscription" }
        }
    };
    Ok(layout::respond(
        status,
        layout::page("Subscriptions", Chrome::Console { csrf: &user.csrf }, body),
    ))
}

async fn list(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    list_page(&state, &user, *path, &req, StatusCode::OK, None).await
}

async fn create(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let input = SubscriptionInput {
        name: form.get("name").map(str::to_owned),
        metadata: None,
    };
    match create_subscription(&state, &user.caller, *path, &input).await {
        Ok(s) => Ok(layout::see_other(&format!(
            "/console/subscriptions/{}",
            s.id
        ))),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            list_page(
                &state,
                &user,
                *path,
                &req,
                e.status,
                Some((&form, e.message)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// What one render of the subscription page adds.
#[derive(Default)]
struct Extra<'a> {
    endpoint_form: Option<(&'a FormData, String)>,
    link: Option<String>,
    link_error: Option<String>,
    note: Option<&'static str>,
}

async fn page(
    state: &AppState,
    user: &ConsoleUser,
    sid: Uuid,
    req: &HttpRequest,
    status: StatusCode,
    extra: Extra<'_>,
) -> Result<HttpResponse, PageError> {
    let sub = crate::routes::load_subscription(state, &user.caller, sid).await?;
    let app = load_app(state, &user.caller, sub.app_id).await?;
    let types = app_event_types(state, sub.app_id).await?;
    let mut q = ListQuery::parse(req, &[])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let endpoints = hookd_db::endpoints::list(&client, sid, &[], &q.page).await?;
    let path = format!("/console/subscriptions/{sid}");
    let (values, endpoint_error) = match &extra.endpoint_form {
        Some((f, e)) => (Values::typed(f), Some(e.as_str())),
        None => (Values::default(), None),
    };
    let revoked = req.query_string().contains("revoked=1");
    let body = html! {
        (app_heading(&app, &sub.name, "subscriptions"))
        @if let Some(n) = extra.note { (layout::note(n)) }
        @if revoked { (layout::note("Every portal link of this subscription has been revoked.")) }
        h2 { "Endpoints" }
        (endpoints_table(&endpoints.models, |e| format!("{path}/endpoints/{}", e.id)))
        (pager(&path, "", endpoints.next.as_deref(), endpoints.prev.as_deref()))
        h2 { "Create an endpoint" }
        (endpoint_form::render(&path, &user.csrf, &values, &types, "Create endpoint", endpoint_error))
        h2 { "Portal link" }
        p { "A portal link lets this subscriber manage their own endpoints and see their messages. It is shown once." }
        (layout::alert_opt(extra.link_error.as_deref()))
        @if let Some(link) = &extra.link {
            (layout::note("Portal link created. Copy it now: it is not shown again."))
            div.stack {
                label for="portal_link" { "Portal link" }
                input #portal_link type="text" readonly value=(link);
            }
        }
        form.stack method="post" action={(path) "/portal_link"} {
            (layout::csrf_field(&user.csrf))
            label for="expiry" { "Expiry (hours)" }
            input #expiry type="number" name="expiry_hours" min="1" max="168" value="168" required;
            div {
                input #read_only type="checkbox" name="read_only" value="1";
                " "
                label for="read_only" { "Read only" }
            }
            button type="submit" { "Create portal link" }
        }
        form.stack method="post" action={(path) "/revoke_links"} {
            (layout::csrf_field(&user.csrf))
            button.danger type="submit" { "Revoke portal links" }
        }
    };
    Ok(layout::respond(
        status,
        layout::page(&sub.name, Chrome::Console { csrf: &user.csrf }, body),
    ))
}

/// The endpoints table of the subscription page and the portal.
pub fn endpoints_table(
    endpoints: &[hookd_domain::Endpoint],
    href: impl Fn(&hookd_domain::Endpoint) -> String,
) -> Markup {
    html! {
        @if endpoints.is_empty() {
            p.empty { "No endpoints yet. Add the URL that should receive webhooks below." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "URL" } th scope="col" { "Version" }
                        th scope="col" { "Status" } th scope="col" { "Event types" }
                    } }
                    tbody {
                        @for e in endpoints {
                            tr {
                                td { a href=(href(e)) { (e.url) } }
                                td { (e.version) }
                                td { (status_cell(e.status.as_str())) }
                                td { (e.event_types.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn show(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    page(&state, &user, *path, &req, StatusCode::OK, Extra::default()).await
}

async fn create_ep(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let sid = *path;
    let fields = endpoint_form::fields(&form, false);
    match async {
        create_endpoint(
            &state,
            &user.caller,
            sid,
            crate::body::from_object(&fields)?,
        )
        .await
    }
    .await
    {
        Ok(e) => Ok(layout::see_other(&format!(
            "/console/subscriptions/{sid}/endpoints/{}",
            e.id
        ))),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let extra = Extra {
                endpoint_form: Some((&form, e.message)),
                ..Extra::default()
            };
            page(&state, &user, sid, &req, e.status, extra).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn portal_link(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let sid = *path;
    let hours = form.get("expiry_hours").and_then(|h| h.parse::<i64>().ok());
    let input = PortalAccessInput {
        // A number that does not parse is sent as 0 so the API's range message is shown.
        expiry: Some(hours.unwrap_or(0).saturating_mul(3600)),
        read_only: Some(form.checked("read_only")),
    };
    match create_portal_access(&state, &user.caller, sid, &input).await {
        Ok(access) => {
            let extra = Extra {
                link: Some(access.url),
                ..Extra::default()
            };
            page(&state, &user, sid, &req, StatusCode::OK, extra).await
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let extra = Extra {
                link_error: Some(e.message),
                ..Extra::default()
            };
            page(&state, &user, sid, &req, e.status, extra).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke_links(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    expire_portal_access(&state, &user.caller, *path).await?;
    Ok(layout::see_other(&format!(
        "/console/subscriptions/{}?revoked=1",
        *path
    )))
}
