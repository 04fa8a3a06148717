//! `/portal`: the subscriber's portal. Entered through a magic link only; everything is
//! limited to the link's subscription (any other id is a 404) and a read-only link changes
//! nothing (403). The pages are the console's, asked through a portal `Surface`.

use super::error::PageError;
use super::form::FormData;
use super::layout;
use super::pages::endpoint_page::{self, Shown};
use super::pages::subscriptions::endpoints_table;
use super::pages::{app_event_types, endpoint_form, message_views, pager, PAGE_SIZE};
use super::session::{cookie, set_cookie};
use super::surface::{PortalScope, Surface};
use super::{csrf, token};
use crate::auth::Caller;
use crate::list::ListQuery;
use crate::routes::endpoints::create_endpoint;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header::SET_COOKIE;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use maud::html;
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

pub const COOKIE_NAME: &str = "hookd_portal";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/access", web::get().to(access))
        .route("/logout", web::post().to(logout))
        .route("/endpoints", web::get().to(endpoints))
        .route("/endpoints", web::post().to(create))
        .route("/endpoints/{eid}", web::get().to(endpoint))
        .route("/endpoints/{eid}/edit", web::get().to(edit_form))
        .route("/endpoints/{eid}/edit", web::post().to(edit))
        .route("/endpoints/{eid}/{action}", web::post().to(act))
        .route("/messages", web::get().to(messages))
        .route("/messages/retry", web::post().to(retry_failed))
        .route("/messages/{mid}", web::get().to(message))
        .route(
            "/messages/{mid}/deliveries/{did}/retry",
            web::post().to(retry_one),
        );
}

/// A portal session: the subscription it may see, as the organization that owns it.
pub struct PortalUser {
    scope: PortalScope,
    organization_id: Uuid,
    csrf: String,
    id_hash: [u8; 32],
}

impl PortalUser {
    fn surface(&self) -> Surface<'_> {
        Surface {
            // Never an admin: the portal acts only through the subscription-scoped functions.
            caller: Caller {
                organization_id: self.organization_id,
                is_admin: false,
            },
            csrf: &self.csrf,
            portal: Some(self.scope),
        }
    }
}

impl FromRequest for PortalUser {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let id = cookie(req, COOKIE_NAME);
        Box::pin(async move {
            let (Some(state), Some(id)) = (state, id) else {
                return Err(PageError::LinkExpired);
            };
            let id_hash = token::hash(&id);
            let client = state.client().await?;
            let session = hookd_db::portal::find_session(&client, &id_hash)
                .await?
                .ok_or(PageError::LinkExpired)?;
            Ok(PortalUser {
                scope: PortalScope {
                    subscription_id: session.subscription_id,
                    app_id: session.app_id,
                    read_only: session.read_only,
                },
                organization_id: session.organization_id,
                csrf: session.csrf_token,
                id_hash,
            })
        })
    }
}

/// The magic link: a session bound to it, then the endpoints. The token is never logged.
#[tracing::instrument(name = "portal_access", skip_all)]
async fn access(
    state: web::Data<AppState>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let token = query.get("token").ok_or(PageError::LinkExpired)?;
    let client = state.client().await?;
    let link =
        hookd_db::portal::find_link(&client, &crate::routes::portal_access::hash_token(token))
            .await?
            .ok_or(PageError::LinkExpired)?;
    let id = token::random();
    hookd_db::portal::create_session(&client, &token::hash(&id), &link, &token::random()).await?;
    let max_age = (link.expires_at - chrono::Utc::now()).num_seconds().max(0);
    // Lax, not Strict: the first request comes from a redirect begun on the provider's site.
    let cookie = set_cookie(&state, COOKIE_NAME, &id, "/portal", "Lax", max_age);
    Ok(HttpResponse::SeeOther()
        .insert_header(("location", "/portal/endpoints"))
        .insert_header((SET_COOKIE, cookie))
        .finish())
}

async fn logout(
    state: web::Data<AppState>,
    user: PortalUser,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let client = state.client().await?;
    hookd_db::portal::delete_session(&client, &user.id_hash).await?;
    let cookie = set_cookie(&state, COOKIE_NAME, "", "/portal", "Lax", 0);
    Ok(layout::respond(
        StatusCode::OK,
        layout::page(
            "Logged out",
            layout::Chrome::Bare,
            html! { h1 { "Logged out" } p { "You have left the portal. Use your link again to come back." } },
        ),
    )
    .customize_cookie(cookie))
}

trait WithCookie {
    fn customize_cookie(self, cookie: String) -> Self;
}

impl WithCookie for HttpResponse {
    fn customize_cookie(mut self, cookie: String) -> Self {
        if let Ok(value) = cookie.parse() {
            self.headers_mut().append(SET_COOKIE, value);
        }
        self
    }
}

async fn endpoints_page(
    state: &AppState,
    user: &PortalUser,
    req: &HttpRequest,
    status: StatusCode,
    failed: Option<(&FormData, String)>,
) -> Result<HttpResponse, PageError> {
    let surface = user.surface();
    let sub = user.scope.subscription_id;
    let mut q = ListQuery::parse(req, &[])?;
    q.page.limit = PAGE_SIZE;
    let client = state.client().await?;
    let listed = hookd_db::endpoints::list(&client, sub, &[], &q.page).await?;
    let types = app_event_types(state, user.scope.app_id).await?;
    let (values, error) = match &failed {
        Some((f, e)) => (endpoint_form::Values::typed(f), Some(e.as_str())),
        None => (endpoint_form::Values::default(), None),
    };
    let body = html! {
        h1 { "Endpoints" }
        @if user.scope.read_only { p { "This link is read-only." } }
        (endpoints_table(&listed.models, |e| format!("/portal/endpoints/{}", e.id)))
        (pager("/portal/endpoints", "", listed.next.as_deref(), listed.prev.as_deref()))
        @if surface.can_change() {
            h2 { "Create an endpoint" }
            (endpoint_form::render("/portal/endpoints", &user.csrf, &values, &types, "Create endpoint", error))
        }
    };
    Ok(layout::respond(
        status,
        layout::page("Endpoints", surface.chrome(), body),
    ))
}

async fn endpoints(
    state: web::Data<AppState>,
    user: PortalUser,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    endpoints_page(&state, &user, &req, StatusCode::OK, None).await
}

async fn create(
    state: web::Data<AppState>,
    user: PortalUser,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let surface = user.surface();
    surface.require_change()?;
    let fields = endpoint_form::fields(&form, false);
    match async {
        create_endpoint(
            &state,
            &surface.caller,
            user.scope.subscription_id,
            crate::body::from_object(&fields)?,
        )
        .await
    }
    .await
    {
        Ok(e) => Ok(layout::see_other(&format!("/portal/endpoints/{}", e.id))),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            endpoints_page(&state, &user, &req, e.status, Some((&form, e.message))).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn endpoint(
    state: web::Data<AppState>,
    user: PortalUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let sub = user.scope.subscription_id;
    endpoint_page::render(
        &state,
        &user.surface(),
        sub,
        *path,
        Shown::default(),
        StatusCode::OK,
    )
    .await
}

async fn act(
    state: web::Data<AppState>,
    user: PortalUser,
    path: web::Path<(Uuid, String)>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let (eid, action) = path.into_inner();
    let sub = user.scope.subscription_id;
    endpoint_page::act(&state, &user.surface(), sub, eid, &action, &form).await
}

async fn edit_form(
    state: web::Data<AppState>,
    user: PortalUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let sub = user.scope.subscription_id;
    endpoint_page::edit_form(&state, &user.surface(), sub, *path, None).await
}

async fn edit(
    state: web::Data<AppState>,
    user: PortalUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let sub = user.scope.subscription_id;
    endpoint_page::edit(&state, &user.surface(), sub, *path, &form).await
}

async fn messages(
    state: web::Data<AppState>,
    user: PortalUser,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let types = app_event_types(&state, user.scope.app_id).await?;
    let note = req
        .query_string()
        .split('&')
        .find_map(|p| p.strip_prefix("retried="))
        .and_then(|n| n.parse::<u64>().ok())
        .map(|n| format!("{n} failed deliveries scheduled again."));
    let heading = html! { h1 { "Messages" } };
    let view = message_views::LogView {
        heading,
        types: &types,
        note,
    };
    message_views::log(&state, &user.surface(), user.scope.app_id, &req, view).await
}

async fn retry_failed(
    state: web::Data<AppState>,
    user: PortalUser,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let surface = user.surface();
    surface.require_change()?;
    let n = message_views::retry_failed(&state, &surface, user.scope.app_id, &form).await?;
    Ok(layout::see_other(&format!("/portal/messages?retried={n}")))
}

async fn message(
    state: web::Data<AppState>,
    user: PortalUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    message_views::message(&state, &user.surface(), *path, None, StatusCode::OK).await
}

async fn retry_one(
    state: web::Data<AppState>,
    user: PortalUser,
    path: web::Path<(Uuid, Uuid)>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let (mid, did) = path.into_inner();
    message_views::retry_one(&state, &user.surface(), mid, did).await
}
