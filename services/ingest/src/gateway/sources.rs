//! `/sources`: where providers send webhooks (`url`), and how their requests are verified.

use super::fields::{check_description, check_name, nullable, required_name};
use super::ids::{self, SOURCE};
use super::list::{includes, GwList, GwQuery};
use super::verification::VerificationInput;
use crate::auth::Caller;
use crate::body;
use crate::error::ApiError;
use crate::list::{Kind, ListSpec};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{delete, get, post, put, web, HttpRequest};
use chrono::{DateTime, Utc};
use hookd_db::gateway::sources::{self as db, Source};
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

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
const DEFAULT_METHODS: &[&str] = &["POST", "PUT", "PATCH", "DELETE"];

/// A source: its `url` receives webhooks.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceModel {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub description: Option<String>,
    pub url: String,
    #[schema(value_type = Option<Object>)]
    pub verification: Option<Value>,
    pub allowed_http_methods: Vec<String>,
    #[schema(value_type = Option<Object>)]
    pub custom_response: Option<Value>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields of a source; all optional on update (absent: unchanged, `null`: cleared).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SourceInput {
    /// `^[A-Za-z0-9_-]{1,155}$`, unique in the organization.
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<VerificationInput>)]
    pub verification: Option<Option<VerificationInput>>,
    /// Methods accepted at the URL (default POST PUT PATCH DELETE).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_http_methods: Option<Option<Vec<String>>>,
    /// What the URL answers instead of the default JSON: `{content_type: json|text|xml, body}`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Object>)]
    pub custom_response: Option<Option<CustomResponse>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct CustomResponse {
    pub content_type: String,
    pub body: String,
}

/// The source as the API shows it; `configs` only when asked for.
pub fn render(state: &AppState, s: Source, with_configs: bool) -> Result<SourceModel, ApiError> {
    let verification = match &s.verification_type {
        None => None,
        Some(kind) if with_configs => {
            let configs = match &s.verification_configs {
                Some(sealed) => open_json(state, sealed)?,
                None => json!({}),
            };
            Some(json!({"type": kind, "configs": configs}))
        }
        Some(kind) => Some(json!({"type": kind})),
    };
    Ok(SourceModel {
        id: ids::format(SOURCE, s.id),
        team_id: super::team_id(s.organization_id),
        url: format!("{}/e/{}", state.gateway_url, ids::format(SOURCE, s.id)),
        name: s.name,
        description: s.description,
        verification,
        allowed_http_methods: s.allowed_http_methods,
        custom_response: s.custom_response,
        disabled_at: s.disabled_at,
        created_at: s.created_at,
        updated_at: s.updated_at,
    })
}

/// Opens sealed JSON (a config holding secrets).
pub fn open_json(state: &AppState, sealed: &str) -> Result<Value, ApiError> {
    let plain = state.cipher.open(sealed).map_err(|e| {
        tracing::error!(error = %e, "cannot open a stored gateway secret");
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )
    })?;
    serde_json::from_str(&plain).map_err(|e| {
        tracing::error!(error = %e, "a stored gateway config is not JSON");
        ApiError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )
    })
}

/// Applies the given fields of `input` to `s`.
pub fn apply(state: &AppState, input: &SourceInput, s: &mut Source) -> Result<(), ApiError> {
    if let Some(name) = &input.name {
        check_name(name, "name")?;
        s.name = name.clone();
    }
    if let Some(description) = &input.description {
        check_description(description)?;
        s.description = description.clone();
    }
    if let Some(verification) = &input.verification {
        match verification {
            None => {
                s.verification_type = None;
                s.verification_configs = None;
            }
            Some(v) => {
                let checked = v.check()?;
                s.verification_type = Some(checked.kind);
                s.verification_configs = Some(
                    state
                        .cipher
                        .seal(&Value::Object(checked.configs).to_string()),
                );
            }
        }
    }
    if let Some(methods) = &input.allowed_http_methods {
        let mut allowed: Vec<String> = match methods {
            None => DEFAULT_METHODS.iter().map(|m| m.to_string()).collect(),
            Some(m) => m.iter().map(|m| m.to_ascii_uppercase()).collect(),
        };
        // Duplicates out, the caller's order kept.
        let mut seen = Vec::new();
        allowed.retain(|m| {
            let new = !seen.contains(m);
            seen.push(m.clone());
            new
        });
        if allowed.is_empty() || allowed.iter().any(|m| !METHODS.contains(&m.as_str())) {
            return Err(ApiError::invalid(
                "allowed_http_methods must list some of GET, POST, PUT, PATCH, DELETE",
            ));
        }
        s.allowed_http_methods = allowed;
    }
    if let Some(response) = &input.custom_response {
        if let Some(r) = response {
            if !matches!(r.content_type.as_str(), "json" | "text" | "xml") {
                return Err(ApiError::invalid(
                    "custom_response.content_type must be json, text or xml",
                ));
            }
            if r.body.len() > 1000 {
                return Err(ApiError::invalid(
                    "custom_response.body must be at most 1000 characters",
                ));
            }
        }
        s.custom_response = response
            .as_ref()
            .map(|r| serde_json::to_value(r).expect("serialises"));
    }
    Ok(())
}

/// A new source of the caller's organization from `input` (not stored yet).
pub fn new_source(
    state: &AppState,
    caller: &Caller,
    input: &SourceInput,
) -> Result<Source, ApiError> {
    let now = Utc::now();
    let mut s = Source {
        id: hookd_domain::new_id(),
        organization_id: caller.organization_id,
        name: required_name(&input.name, "name")?,
        description: None,
        verification_type: None,
        verification_configs: None,
        allowed_http_methods: DEFAULT_METHODS.iter().map(|m| m.to_string()).collect(),
        custom_response: None,
        disabled_at: None,
        created_at: now,
        updated_at: now,
    };
    apply(state, input, &mut s)?;
    Ok(s)
}

/// Creates the source, or updates the one of the same name (the inline form of connections).
pub async fn upsert_source(
    state: &AppState,
    caller: &Caller,
    client: &impl hookd_db::GenericClient,
    input: &SourceInput,
) -> Result<Source, ApiError> {
    let name = required_name(&input.name, "name")?;
    match db::find_by_name(client, caller.organization_id, &name).await? {
        Some(mut existing) => {
            apply(state, input, &mut existing)?;
            let updated = db::update(client, &existing).await?;
            state.forget_source(updated.id);
            Ok(updated)
        }
        None => Ok(db::insert(client, &new_source(state, caller, input)?).await?),
    }
}

/// Creates a source (`POST /sources` and the console's form).
pub async fn create_source(
    state: &AppState,
    caller: &Caller,
    input: &SourceInput,
) -> Result<Source, ApiError> {
    let source = new_source(state, caller, input)?;
    let client = state.client().await?;
    Ok(db::insert(&client, &source).await?)
}

/// Disables or enables a source of the caller's organization.
pub async fn set_source_disabled(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    disabled: bool,
) -> Result<Source, ApiError> {
    let client = state.client().await?;
    let source = db::set_disabled(&client, caller.organization_id, id, disabled)
        .await
        .map_err(ApiError::from_db("source"))?;
    state.forget_source(id);
    Ok(source)
}

/// Deletes a source of the caller's organization and its connections.
pub async fn delete_source(state: &AppState, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    let client = state.client().await?;
    db::delete(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("source"))?;
    state.forget_source(id);
    Ok(())
}

/// The source id of a path; anything not one is a 404.
pub fn path_id(raw: &str) -> Result<Uuid, ApiError> {
    ids::parse(SOURCE, raw).ok_or_else(|| ApiError::not_found("source"))
}

/// List sources (filters `id`, `name`; disabled ones with `disabled=true`).
#[utoipa::path(tag = "gateway", responses((status = 200, body = GwList<SourceModel>)))]
#[get("/sources")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<GwList<SourceModel>>, ApiError> {
    let q = GwQuery::parse(
        &req,
        &ListSpec {
            filterable: &[
                ("id", "s.id", Kind::Id(SOURCE)),
                ("name", "s.name", Kind::Text),
                ("created_at", "s.created_at", Kind::Time),
            ],
            order_by: &[("created_at", None), ("updated_at", Some("s.updated_at"))],
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
    Ok(web::Json(q.respond(listed, |s| render(&state, s, false))?))
}

/// Create a source.
#[utoipa::path(tag = "gateway", request_body = SourceInput,
    responses((status = 200, body = SourceModel), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/sources")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::Json<SourceInput>,
) -> Result<web::Json<SourceModel>, ApiError> {
    let created = create_source(&state, &caller, &body.0).await?;
    Ok(web::Json(render(&state, created, false)?))
}

/// Create a source, or update the one of this name.
#[utoipa::path(tag = "gateway", request_body = SourceInput,
    responses((status = 200, body = SourceModel), (status = 422, body = ErrorBody)))]
#[put("/sources")]
async fn upsert(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::Json<SourceInput>,
) -> Result<web::Json<SourceModel>, ApiError> {
    let client = state.client().await?;
    let source = upsert_source(&state, &caller, &client, &body.0).await?;
    Ok(web::Json(render(&state, source, false)?))
}

/// Get a source; `include=verification.configs` shows the verification's configs.
#[utoipa::path(tag = "gateway", responses((status = 200, body = SourceModel), (status = 404, body = ErrorBody)))]
#[get("/sources/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<web::Json<SourceModel>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let found = db::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("source"))?;
    let configs = includes(&req, "verification.configs");
    Ok(web::Json(render(&state, found, configs)?))
}

/// Update a source (the fields given).
#[utoipa::path(tag = "gateway", request_body = SourceInput,
    responses((status = 200, body = SourceModel), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/sources/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: body::OptionalJson<SourceInput>,
) -> Result<web::Json<SourceModel>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let mut source = db::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("source"))?;
    apply(&state, &body.0, &mut source)?;
    let updated = db::update(&client, &source)
        .await
        .map_err(ApiError::from_db("source"))?;
    state.forget_source(id);
    Ok(web::Json(render(&state, updated, false)?))
}

#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub id: String,
}

/// Delete a source and its connections.
#[utoipa::path(tag = "gateway", responses((status = 200, body = Deleted), (status = 404, body = ErrorBody)))]
#[delete("/sources/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<Deleted>, ApiError> {
    let raw = id.into_inner();
    delete_source(&state, &caller, path_id(&raw)?).await?;
    Ok(web::Json(Deleted { id: raw }))
}

/// Disable or enable a source (`archive` and `unarchive` are the older names).
#[utoipa::path(tag = "gateway", params(("action" = String, Path, description = "disable, enable, archive or unarchive")),
    responses((status = 200, body = SourceModel), (status = 404, body = ErrorBody)))]
#[put("/sources/{id}/{action}")]
async fn toggle(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<web::Json<SourceModel>, ApiError> {
    let (id, action) = path.into_inner();
    let disabled = super::disable_action(&action)?;
    let source = set_source_disabled(&state, &caller, path_id(&id)?, disabled).await?;
    Ok(web::Json(render(&state, source, false)?))
}
