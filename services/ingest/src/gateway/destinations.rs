//! `/destinations`: where events are delivered, and how hookd authenticates there.

use super::auth_method::{AuthMethodInput, DEFAULT};
use super::fields::{check_description, check_name, nullable, required_name};
use super::ids::{self, DESTINATION};
use super::list::{GwList, GwQuery};
use super::sources::{open_json, Deleted};
use crate::auth::Caller;
use crate::body::{self, check_len};
use crate::error::ApiError;
use crate::list::{Kind, ListSpec};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{delete, get, post, put, web, HttpRequest};
use chrono::{DateTime, Utc};
use hookd_db::gateway::destinations::{self as db, Destination};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(upsert)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(toggle);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DestinationModel {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub description: Option<String>,
    pub url: Option<String>,
    pub cli_path: Option<String>,
    pub http_method: Option<String>,
    pub rate_limit: Option<i32>,
    pub rate_limit_period: Option<String>,
    #[schema(value_type = Object)]
    pub auth_method: Value,
    pub path_forwarding_disabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields of a destination; all optional on update (absent: unchanged, `null`: cleared).
#[derive(Debug, Deserialize, ToSchema)]
pub struct DestinationInput {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// An http(s) URL; one of `url` and `cli_path` is needed.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub cli_path: Option<Option<String>>,
    /// GET, POST, PUT, PATCH or DELETE; `null`: the inbound request's method.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub http_method: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub rate_limit: Option<Option<i32>>,
    /// second, minute, hour or concurrent.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub rate_limit_period: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<AuthMethodInput>)]
    pub auth_method: Option<Option<AuthMethodInput>>,
    pub path_forwarding_disabled: Option<bool>,
}

pub fn render(state: &AppState, d: Destination) -> Result<DestinationModel, ApiError> {
    let config = match &d.auth_config {
        Some(sealed) => open_json(state, sealed)?,
        None => json!({}),
    };
    Ok(DestinationModel {
        id: ids::format(DESTINATION, d.id),
        team_id: super::team_id(d.organization_id),
        name: d.name,
        description: d.description,
        url: d.url,
        cli_path: d.cli_path,
        http_method: d.http_method,
        rate_limit: d.rate_limit,
        rate_limit_period: d.rate_limit_period,
        auth_method: json!({"type": d.auth_type, "config": config}),
        path_forwarding_disabled: d.path_forwarding_disabled,
        disabled_at: d.disabled_at,
        created_at: d.created_at,
        updated_at: d.updated_at,
    })
}

fn apply(state: &AppState, input: &DestinationInput, d: &mut Destination) -> Result<(), ApiError> {
    if let Some(name) = &input.name {
        check_name(name, "name")?;
        d.name = name.clone();
    }
    if let Some(description) = &input.description {
        check_description(description)?;
        d.description = description.clone();
    }
    if let Some(url) = &input.url {
        if let Some(url) = url {
            let parsed = url::Url::parse(url)
                .map_err(|e| ApiError::invalid(format!("url is not valid: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                return Err(ApiError::invalid("url must be an http(s) URL with a host"));
            }
            check_len(url, "url", 2048)?;
        }
        d.url = url.clone();
    }
    if let Some(path) = &input.cli_path {
        if let Some(p) = path {
            if !p.starts_with('/') {
                return Err(ApiError::invalid("cli_path must start with /"));
            }
            check_len(p, "cli_path", 2048)?;
        }
        d.cli_path = path.clone();
    }
    if let Some(method) = &input.http_method {
        let method = method.as_ref().map(|m| m.to_ascii_uppercase());
        if method
            .as_deref()
            .is_some_and(|m| !matches!(m, "GET" | "POST" | "PUT" | "PATCH" | "DELETE"))
        {
            return Err(ApiError::invalid(
                "http_method must be GET, POST, PUT, PATCH or DELETE",
            ));
        }
        d.http_method = method;
    }
    if let Some(limit) = input.rate_limit {
        if limit.is_some_and(|n| n < 1) {
            return Err(ApiError::invalid("rate_limit must be at least 1"));
        }
        d.rate_limit = limit;
    }
    if let Some(period) = &input.rate_limit_period {
        if period
            .as_deref()
            .is_some_and(|p| !matches!(p, "second" | "minute" | "hour" | "concurrent"))
        {
            return Err(ApiError::invalid(
                "rate_limit_period must be second, minute, hour or concurrent",
            ));
        }
        d.rate_limit_period = period.clone();
    }
    match (d.rate_limit, &d.rate_limit_period) {
        (Some(_), None) => d.rate_limit_period = Some("second".into()),
        (None, Some(_)) => d.rate_limit_period = None,
        _ => {}
    }
    if let Some(auth) = &input.auth_method {
        match auth {
            None => {
                d.auth_type = DEFAULT.into();
                d.auth_config = None;
            }
            Some(a) => {
                let checked = a.check()?;
                d.auth_type = checked.kind;
                d.auth_config = (!checked.config.is_empty()).then(|| {
                    state
                        .cipher
                        .seal(&Value::Object(checked.config).to_string())
                });
            }
        }
    }
    if let Some(disabled) = input.path_forwarding_disabled {
        d.path_forwarding_disabled = disabled;
    }
    if d.url.is_none() && d.cli_path.is_none() {
        return Err(
            ApiError::invalid("url or cli_path is required").with_data(json!({"field": "url"}))
        );
    }
    Ok(())
}

pub fn new_destination(
    state: &AppState,
    caller: &Caller,
    input: &DestinationInput,
) -> Result<Destination, ApiError> {
    let now = Utc::now();
    let mut d = Destination {
        id: hookd_domain::new_id(),
        organization_id: caller.organization_id,
        name: required_name(&input.name, "name")?,
        description: None,
        url: None,
        cli_path: None,
        http_method: None,
        rate_limit: None,
        rate_limit_period: None,
        path_forwarding_disabled: false,
        auth_type: DEFAULT.into(),
        auth_config: None,
        disabled_at: None,
        created_at: now,
        updated_at: now,
    };
    apply(state, input, &mut d)?;
    Ok(d)
}

/// Creates the destination, or updates the one of the same name.
pub async fn upsert_destination(
    state: &AppState,
    caller: &Caller,
    client: &impl hookd_db::GenericClient,
    input: &DestinationInput,
) -> Result<Destination, ApiError> {
    let name = required_name(&input.name, "name")?;
    match db::find_by_name(client, caller.organization_id, &name).await? {
        Some(mut existing) => {
            apply(state, input, &mut existing)?;
            Ok(db::update(client, &existing).await?)
        }
        None => Ok(db::insert(client, &new_destination(state, caller, input)?).await?),
    }
}

/// Creates a destination (`POST /destinations` and the console's form).
pub async fn create_destination(
    state: &AppState,
    caller: &Caller,
    input: &DestinationInput,
) -> Result<Destination, ApiError> {
    let d = new_destination(state, caller, input)?;
    let client = state.client().await?;
    Ok(db::insert(&client, &d).await?)
}

/// Disables or enables a destination of the caller's organization.
pub async fn set_destination_disabled(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    disabled: bool,
) -> Result<Destination, ApiError> {
    let client = state.client().await?;
    db::set_disabled(&client, caller.organization_id, id, disabled)
        .await
        .map_err(ApiError::from_db("destination"))
}

/// Deletes a destination of the caller's organization and its connections.
pub async fn delete_destination(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<(), ApiError> {
    let client = state.client().await?;
    db::delete(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("destination"))
}

pub fn path_id(raw: &str) -> Result<Uuid, ApiError> {
    ids::parse(DESTINATION, raw).ok_or_else(|| ApiError::not_found("destination"))
}

/// List destinations (filters `id`, `name`; disabled ones with `disabled=true`).
#[utoipa::path(tag = "gateway", responses((status = 200, body = GwList<DestinationModel>)))]
#[get("/destinations")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<GwList<DestinationModel>>, ApiError> {
    let q = GwQuery::parse(
        &req,
        &ListSpec {
            filterable: &[
                ("id", "d.id", Kind::Id(DESTINATION)),
                ("name", "d.name", Kind::Text),
                ("url", "d.url", Kind::Text),
                ("created_at", "d.created_at", Kind::Time),
            ],
            order_by: &[("created_at", None), ("updated_at", Some("d.updated_at"))],
        },
    )?;
    let client = state.client().await?;
    let listed = db::list(
        &client,
        caller.organization_id,
        q.with_disabled,
        &q.list.filters,
        &q.list.page,
    )
    .await?;
    Ok(web::Json(q.respond(listed, |d| render(&state, d))?))
}

/// Create a destination.
#[utoipa::path(tag = "gateway", request_body = DestinationInput,
    responses((status = 200, body = DestinationModel), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/destinations")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::Json<DestinationInput>,
) -> Result<web::Json<DestinationModel>, ApiError> {
    let created = create_destination(&state, &caller, &body.0).await?;
    Ok(web::Json(render(&state, created)?))
}

/// Create a destination, or update the one of this name.
#[utoipa::path(tag = "gateway", request_body = DestinationInput,
    responses((status = 200, body = DestinationModel), (status = 422, body = ErrorBody)))]
#[put("/destinations")]
async fn upsert(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::Json<DestinationInput>,
) -> Result<web::Json<DestinationModel>, ApiError> {
    let client = state.client().await?;
    let d = upsert_destination(&state, &caller, &client, &body.0).await?;
    Ok(web::Json(render(&state, d)?))
}

/// Get a destination.
#[utoipa::path(tag = "gateway", responses((status = 200, body = DestinationModel), (status = 404, body = ErrorBody)))]
#[get("/destinations/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<DestinationModel>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let d = db::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("destination"))?;
    Ok(web::Json(render(&state, d)?))
}

/// Update a destination (the fields given).
#[utoipa::path(tag = "gateway", request_body = DestinationInput,
    responses((status = 200, body = DestinationModel), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/destinations/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: body::OptionalJson<DestinationInput>,
) -> Result<web::Json<DestinationModel>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let mut d = db::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("destination"))?;
    apply(&state, &body.0, &mut d)?;
    let updated = db::update(&client, &d)
        .await
        .map_err(ApiError::from_db("destination"))?;
    Ok(web::Json(render(&state, updated)?))
}

/// Delete a destination and its connections.
#[utoipa::path(tag = "gateway", responses((status = 200, body = Deleted), (status = 404, body = ErrorBody)))]
#[delete("/destinations/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<Deleted>, ApiError> {
    let raw = id.into_inner();
    delete_destination(&state, &caller, path_id(&raw)?).await?;
    Ok(web::Json(Deleted { id: raw }))
}

/// Disable or enable a destination (`archive` and `unarchive` are the older names).
#[utoipa::path(tag = "gateway", params(("action" = String, Path, description = "disable, enable, archive or unarchive")),
    responses((status = 200, body = DestinationModel), (status = 404, body = ErrorBody)))]
#[put("/destinations/{id}/{action}")]
async fn toggle(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<web::Json<DestinationModel>, ApiError> {
    let (id, action) = path.into_inner();
    let disabled = super::disable_action(&action)?;
    let d = set_destination_disabled(&state, &caller, path_id(&id)?, disabled).await?;
    Ok(web::Json(render(&state, d)?))
}
