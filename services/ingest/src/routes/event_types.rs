use crate::auth::Caller;
use crate::body::{self, check_len, invalid_field, required, Nullable};
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::routes::check_app;
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use hookd_domain::EventType;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(get_one)
        .service(update)
        .service(remove);
}

#[derive(Deserialize, ToSchema)]
pub struct CreateEventType {
    /// Such as `user.created`: letters, digits and `._-:`.
    #[schema(required = true)]
    name: Option<String>,
    description: Option<String>,
    /// JSON Schema that message `data` must satisfy.
    schema: Option<Value>,
}

/// Fields to change; `null` removes the description or the schema. The name cannot change
/// (a `name` other than the event type's own is refused).
#[derive(Deserialize, ToSchema)]
pub struct UpdateEventType {
    name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    description: Nullable<String>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    schema: Nullable<Value>,
}

pub fn check_name(name: &str) -> Result<(), ApiError> {
    check_len(name, "name", 256)?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c))
    {
        return Err(ApiError::invalid(
            "name may contain only letters, digits and . _ - :",
        ));
    }
    Ok(())
}

fn check_schema(schema: &Value) -> Result<(), ApiError> {
    jsonschema::validator_for(schema)
        .map(|_| ())
        .map_err(|e| ApiError::invalid(format!("schema is not a valid JSON Schema: {e}")))
}

/// Define an event type of the app.
#[utoipa::path(tag = "event_types", request_body = CreateEventType,
    responses((status = 201, body = EventType), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/apps/{app_id}/event_types")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    body: body::Json<CreateEventType>,
) -> Result<HttpResponse, ApiError> {
    check_app(&state, &caller, *app_id).await?;
    let input = body.0;
    let name = required(&input.name, "name")?;
    check_name(name)?;
    if let Some(schema) = &input.schema {
        check_schema(schema)?;
    }
    let client = state.client().await?;
    let created = hookd_db::event_types::create(
        &client,
        *app_id,
        name,
        input.description.as_deref(),
        input.schema.as_ref(),
    )
    .await
    .map_err(ApiError::from_db("app"))?;
    let id = *app_id;
    let n = created.name.clone();
    state.schemas.remove_where(|(a, t)| *a == id && *t == n);
    Ok(HttpResponse::Created().json(created))
}

/// List the app's event types.
#[utoipa::path(tag = "event_types", responses((status = 200, body = ListResponse<EventType>)))]
#[get("/apps/{app_id}/event_types")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<EventType>>, ApiError> {
    check_app(&state, &caller, *app_id).await?;
    let q = ListQuery::parse(
        &req,
        &[
            ("created_at", "e.created_at", Kind::Time),
            ("name", "e.name", Kind::Text),
        ],
    )?;
    let client = state.client().await?;
    let listed = hookd_db::event_types::list(&client, *app_id, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// Get an event type by name.
#[utoipa::path(tag = "event_types", responses((status = 200, body = EventType), (status = 404, body = ErrorBody)))]
#[get("/apps/{app_id}/event_types/{name}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, String)>,
) -> Result<web::Json<EventType>, ApiError> {
    let (app_id, name) = path.into_inner();
    check_app(&state, &caller, app_id).await?;
    let client = state.client().await?;
    let found = hookd_db::event_types::get(&client, app_id, &name)
        .await
        .map_err(ApiError::from_db("event type"))?;
    Ok(web::Json(found))
}

/// Change an event type's description or schema.
#[utoipa::path(tag = "event_types", request_body = UpdateEventType,
    responses((status = 200, body = EventType), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/apps/{app_id}/event_types/{name}")]
async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, String)>,
    body: body::Json<UpdateEventType>,
) -> Result<web::Json<EventType>, ApiError> {
    let (app_id, name) = path.into_inner();
    check_app(&state, &caller, app_id).await?;
    let input = body.0;
    // The name is the event type's identity (its path, and what endpoints subscribe to): a
    // rename would be silently ignored, so it is refused.
    if input.name.as_ref().is_some_and(|n| *n != name) {
        return Err(invalid_field(
            "name",
            "name cannot be changed; create a new event type",
        ));
    }
    if let Nullable::Value(schema) = &input.schema {
        check_schema(schema)?;
    }
    let description = input.description.into_update();
    let schema = input.schema.into_update();
    let (description, schema) = (
        description.as_ref().map(|d| d.as_deref()),
        schema.as_ref().map(Option::as_ref),
    );
    let client = state.client().await?;
    let updated = hookd_db::event_types::update(&client, app_id, &name, description, schema)
        .await
        .map_err(ApiError::from_db("event type"))?;
    state
        .schemas
        .remove_where(|(a, t)| *a == app_id && *t == name);
    Ok(web::Json(updated))
}

/// Delete an event type.
#[utoipa::path(tag = "event_types", responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/apps/{app_id}/event_types/{name}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (app_id, name) = path.into_inner();
    check_app(&state, &caller, app_id).await?;
    let client = state.client().await?;
    hookd_db::event_types::delete(&client, app_id, &name)
        .await
        .map_err(ApiError::from_db("event type"))?;
    state
        .schemas
        .remove_where(|(a, t)| *a == app_id && *t == name);
    Ok(HttpResponse::NoContent().finish())
}
