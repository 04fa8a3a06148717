//! `/connections`: a source routed to a destination, with rules.

use super::connection_model::{render, render_all, render_one, ConnectionModel};
use super::destinations::{self, DestinationInput};
use super::fields::{check_description, check_name, nullable, required_name};
use super::ids::{self, CONNECTION, DESTINATION, SOURCE};
use super::list::{GwList, GwQuery};
use super::sources::{self, Deleted, SourceInput};
use crate::auth::Caller;
use crate::body;
use crate::error::ApiError;
use crate::list::{Kind, ListSpec};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{delete, get, post, put, web, HttpRequest};
use chrono::Utc;
use hookd_db::gateway::connections::{self as db, Connection, FULL_NAME};
use hookd_db::gateway::{destinations as db_destinations, sources as db_sources};
use hookd_db::GenericClient;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    // `/connections/count` before `/connections/{id}`: actix tries routes in order.
    cfg.service(count)
        .service(list)
        .service(create)
        .service(upsert)
        .service(get_one)
        .service(update)
        .service(remove)
        .service(toggle);
}

/// A connection: its source and destination by id or inline (upserted by name).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConnectionInput {
    /// Unique on its source; the destination's name when absent on create.
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub source_id: Option<String>,
    pub source: Option<SourceInput>,
    pub destination_id: Option<String>,
    pub destination: Option<DestinationInput>,
    /// `retry`, `filter`, `delay` rules (one per type); an update replaces them all.
    #[schema(value_type = Option<Vec<Object>>)]
    pub rules: Option<Vec<Map<String, Value>>>,
}

fn id_of(raw: &str, prefix: &str, what: &str) -> Result<Uuid, ApiError> {
    // An id that is not one of this organization's is a 422 in a body (a 404 in a path).
    ids::parse(prefix, raw).ok_or_else(|| ApiError::invalid(format!("{what} not found")))
}

/// The source and destination of a create or upsert: by id, or inline (upserted by name).
async fn ends(
    state: &AppState,
    caller: &Caller,
    client: &impl GenericClient,
    input: &ConnectionInput,
) -> Result<(db_sources::Source, db_destinations::Destination), ApiError> {
    let org = caller.organization_id;
    let source = match (&input.source_id, &input.source) {
        (Some(id), None) => db_sources::get(client, org, id_of(id, SOURCE, "source_id")?)
            .await
            .map_err(|_| ApiError::invalid("source_id not found"))?,
        (None, Some(inline)) => sources::upsert_source(state, caller, client, inline).await?,
        _ => return Err(ApiError::invalid("give one of source_id and source")),
    };
    let destination = match (&input.destination_id, &input.destination) {
        (Some(id), None) => {
            db_destinations::get(client, org, id_of(id, DESTINATION, "destination_id")?)
                .await
                .map_err(|_| ApiError::invalid("destination_id not found"))?
        }
        (None, Some(inline)) => {
            destinations::upsert_destination(state, caller, client, inline).await?
        }
        _ => {
            return Err(ApiError::invalid(
                "give one of destination_id and destination",
            ))
        }
    };
    Ok((source, destination))
}

fn checked_rules(input: &ConnectionInput) -> Result<Option<Value>, ApiError> {
    input.rules.as_deref().map(super::rules::check).transpose()
}

/// Creates a connection (`POST /connections` and the console's form) with its source and
/// destination, which it returns too.
pub async fn create_connection(
    state: &AppState,
    caller: &Caller,
    input: &ConnectionInput,
) -> Result<(Connection, db_sources::Source, db_destinations::Destination), ApiError> {
    let rules = checked_rules(input)?.unwrap_or_else(|| Value::Array(vec![]));
    check_description(input.description.as_ref().unwrap_or(&None))?;
    if let Some(name) = &input.name {
        check_name(name, "name")?;
    }
    let mut client = state.client().await?;
    let tx = client
        .transaction()
        .await
        .map_err(hookd_db::DbError::from)?;
    let (source, destination) = ends(state, caller, &tx, input).await?;
    let now = Utc::now();
    let c = Connection {
        id: hookd_domain::new_id(),
        organization_id: caller.organization_id,
        name: input
            .name
            .clone()
            .unwrap_or_else(|| destination.name.clone()),
        description: input.description.clone().flatten(),
        source_id: source.id,
        destination_id: destination.id,
        rules,
        disabled_at: None,
        paused_at: None,
        created_at: now,
        updated_at: now,
    };
    let created = db::insert(&tx, &c).await?;
    tx.commit().await.map_err(hookd_db::DbError::from)?;
    Ok((created, source, destination))
}

/// Disables, enables, pauses or unpauses a connection of the caller's organization
/// (`archive`/`unarchive`: older names of disable/enable); another action is no route.
pub async fn connection_action(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    action: &str,
) -> Result<Connection, ApiError> {
    let (paused, on) = match action {
        "pause" => (true, true),
        "unpause" => (true, false),
        other => (false, super::disable_action(other)?),
    };
    let mut client = state.client().await?;
    let tx = client
        .transaction()
        .await
        .map_err(hookd_db::DbError::from)?;
    let c = db::set_flag(&tx, caller.organization_id, id, paused, on)
        .await
        .map_err(ApiError::from_db("connection"))?;
    // With the flag, in one transaction: pause holds the events not in flight, unpause
    // queues the held ones (the delivery scheduler sends them, trigger UNPAUSE).
    match (paused, on) {
        (true, true) => {
            hookd_db::gateway::dispatch::hold(&tx, id).await?;
        }
        (true, false) => {
            hookd_db::gateway::dispatch::release(&tx, id).await?;
        }
        _ => {}
    }
    tx.commit().await.map_err(hookd_db::DbError::from)?;
    Ok(c)
}

/// Deletes a connection of the caller's organization.
pub async fn delete_connection(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<(), ApiError> {
    let client = state.client().await?;
    db::delete(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("connection"))
}

pub fn path_id(raw: &str) -> Result<Uuid, ApiError> {
    ids::parse(CONNECTION, raw).ok_or_else(|| ApiError::not_found("connection"))
}

const SPEC: ListSpec<'static> = ListSpec {
    filterable: &[
        ("id", "c.id", Kind::Id(CONNECTION)),
        ("name", "c.name", Kind::Text),
        ("source_id", "c.source_id", Kind::Id(SOURCE)),
        ("destination_id", "c.destination_id", Kind::Id(DESTINATION)),
        ("full_name", FULL_NAME, Kind::Text),
        ("paused_at", "c.paused_at", Kind::Time),
        ("disabled_at", "c.disabled_at", Kind::Time),
        ("created_at", "c.created_at", Kind::Time),
    ],
    order_by: &[("created_at", None), ("updated_at", Some("c.updated_at"))],
};

/// List connections (filters `id name source_id destination_id full_name paused_at`).
#[utoipa::path(tag = "gateway", responses((status = 200, body = GwList<ConnectionModel>)))]
#[get("/connections")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<GwList<ConnectionModel>>, ApiError> {
    let q = GwQuery::parse(&req, &SPEC)?;
    let client = state.client().await?;
    let org = caller.organization_id;
    let listed = db::list(&client, org, q.with_disabled, &q.list.filters, &q.list.page).await?;
    let page = hookd_db::Listed {
        models: render_all(&state, &client, org, listed.models).await?,
        next: listed.next,
        prev: listed.prev,
    };
    Ok(web::Json(q.respond(page, Ok)?))
}

#[derive(Serialize, ToSchema)]
pub struct Count {
    pub count: i64,
}

/// How many connections the filters select.
#[utoipa::path(tag = "gateway", responses((status = 200, body = Count)))]
#[get("/connections/count")]
async fn count(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<Count>, ApiError> {
    let q = GwQuery::parse(&req, &SPEC)?;
    let client = state.client().await?;
    let n = db::count(
        &client,
        caller.organization_id,
        q.with_disabled,
        &q.list.filters,
    )
    .await?;
    Ok(web::Json(Count { count: n }))
}

/// Create a connection (its source and destination by id or inline).
#[utoipa::path(tag = "gateway", request_body = ConnectionInput,
    responses((status = 200, body = ConnectionModel), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/connections")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::Json<ConnectionInput>,
) -> Result<web::Json<ConnectionModel>, ApiError> {
    let (created, source, destination) = create_connection(&state, &caller, &body.0).await?;
    Ok(web::Json(render(&state, created, source, destination)?))
}

/// Create a connection, or update the one of this name on the source.
#[utoipa::path(tag = "gateway", request_body = ConnectionInput,
    responses((status = 200, body = ConnectionModel), (status = 422, body = ErrorBody)))]
#[put("/connections")]
async fn upsert(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::Json<ConnectionInput>,
) -> Result<web::Json<ConnectionModel>, ApiError> {
    let input = body.0;
    let name = required_name(&input.name, "name")?;
    let rules = checked_rules(&input)?;
    check_description(input.description.as_ref().unwrap_or(&None))?;
    let mut client = state.client().await?;
    let tx = client
        .transaction()
        .await
        .map_err(hookd_db::DbError::from)?;
    let (source, destination) = ends(&state, &caller, &tx, &input).await?;
    let saved = match db::find_by_name(&tx, source.id, &name).await? {
        Some(mut c) => {
            c.destination_id = destination.id;
            if let Some(d) = &input.description {
                c.description = d.clone();
            }
            if let Some(r) = rules {
                c.rules = r;
            }
            db::update(&tx, &c).await?
        }
        None => {
            let now = Utc::now();
            let c = Connection {
                id: hookd_domain::new_id(),
                organization_id: caller.organization_id,
                name,
                description: input.description.clone().flatten(),
                source_id: source.id,
                destination_id: destination.id,
                rules: rules.unwrap_or_else(|| Value::Array(vec![])),
                disabled_at: None,
                paused_at: None,
                created_at: now,
                updated_at: now,
            };
            db::insert(&tx, &c).await?
        }
    };
    tx.commit().await.map_err(hookd_db::DbError::from)?;
    Ok(web::Json(render(&state, saved, source, destination)?))
}

/// Get a connection.
#[utoipa::path(tag = "gateway", responses((status = 200, body = ConnectionModel), (status = 404, body = ErrorBody)))]
#[get("/connections/{id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<ConnectionModel>, ApiError> {
    let id = path_id(&id)?;
    let client = state.client().await?;
    let c = db::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("connection"))?;
    Ok(web::Json(render_one(&state, &client, c).await?))
}

/// Update a connection's name, description and rules (the rules given replace all).
#[utoipa::path(tag = "gateway", request_body = ConnectionInput,
    responses((status = 200, body = ConnectionModel), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/connections/{id}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: body::OptionalJson<ConnectionInput>,
) -> Result<web::Json<ConnectionModel>, ApiError> {
    let id = path_id(&id)?;
    let input = body.0;
    let rules = checked_rules(&input)?;
    let client = state.client().await?;
    let mut c = db::get(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("connection"))?;
    if let Some(name) = &input.name {
        check_name(name, "name")?;
        c.name = name.clone();
    }
    if let Some(d) = &input.description {
        check_description(d)?;
        c.description = d.clone();
    }
    if let Some(r) = rules {
        c.rules = r;
    }
    let updated = db::update(&client, &c)
        .await
        .map_err(ApiError::from_db("connection"))?;
    Ok(web::Json(render_one(&state, &client, updated).await?))
}

/// Delete a connection.
#[utoipa::path(tag = "gateway", responses((status = 200, body = Deleted), (status = 404, body = ErrorBody)))]
#[delete("/connections/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<Deleted>, ApiError> {
    let raw = id.into_inner();
    delete_connection(&state, &caller, path_id(&raw)?).await?;
    Ok(web::Json(Deleted { id: raw }))
}

/// Disable, enable, pause or unpause a connection (`archive`/`unarchive`: older names).
#[utoipa::path(tag = "gateway", params(("action" = String, Path, description = "disable, enable, archive, unarchive, pause or unpause")),
    responses((status = 200, body = ConnectionModel), (status = 404, body = ErrorBody)))]
#[put("/connections/{id}/{action}")]
async fn toggle(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<web::Json<ConnectionModel>, ApiError> {
    let (id, action) = path.into_inner();
    let c = connection_action(&state, &caller, path_id(&id)?, &action).await?;
    let client = state.client().await?;
    Ok(web::Json(render_one(&state, &client, c).await?))
}
