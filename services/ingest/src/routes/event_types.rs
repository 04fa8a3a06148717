use crate::auth::Caller;
use crate::body::{self, check_len, invalid_field, required, Nullable};
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::routes::check_app;
pub(crate) use crate::routes::event_type_examples::check_examples;
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use hookd_domain::EventType;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
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

#[derive(Deserialize, ToSchema, Default)]
pub struct CreateEventType {
    /// Such as `user.created`: letters, digits and `._-:`.
    #[schema(required = true)]
    pub name: Option<String>,
    pub description: Option<String>,
    /// JSON Schema that message `data` must satisfy (of a version without one in `schemas`).
    pub schema: Option<Value>,
    /// JSON Schemas per message version, such as `{"2.0": {...}}`: a message of a version
    /// listed here must satisfy that schema instead of `schema`.
    #[schema(value_type = Option<Object>)]
    pub schemas: Option<BTreeMap<String, Value>>,
    /// An example payload (any JSON); it must satisfy `schema`.
    pub example: Option<Value>,
    /// Example payloads per message version, such as `{"2.0": {...}}`: each must satisfy
    /// that version's schema (its `schemas` entry, else `schema`); 422 names the version.
    #[schema(value_type = Option<Object>)]
    pub examples: Option<BTreeMap<String, Value>>,
}

/// Fields to change; `schema: null` removes the schema (`example: null` the example). `schemas`
/// replaces every per-version schema (`null` or `{}` removes them), `examples` every
/// per-version example likewise. The name cannot change.
#[derive(Deserialize, ToSchema)]
pub struct UpdateEventType {
    /// Refused unless it is the event type's own name.
    name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    description: Nullable<String>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    schema: Nullable<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    schemas: Nullable<BTreeMap<String, Value>>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    example: Nullable<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    examples: Nullable<BTreeMap<String, Value>>,
}

/// A change of an event type: `None` keeps a field, `Some(None)` clears it.
#[derive(Default)]
pub struct EventTypeChange<'a> {
    pub description: Option<Option<&'a str>>,
    pub schema: Option<Option<&'a Value>>,
    pub schemas: Option<Option<&'a BTreeMap<String, Value>>>,
    pub example: Option<Option<&'a Value>>,
    pub examples: Option<Option<&'a BTreeMap<String, Value>>>,
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

pub(crate) fn check_schema(schema: &Value) -> Result<(), ApiError> {
    jsonschema::validator_for(schema)
        .map(|_| ())
        .map_err(|e| ApiError::invalid(format!("schema is not a valid JSON Schema: {e}")))
}

/// Per-version schemas, checked (each key a message version, each value a JSON Schema), as
/// they are stored.
pub(crate) fn check_schemas(schemas: &BTreeMap<String, Value>) -> Result<Value, ApiError> {
    for (version, schema) in schemas {
        if version.trim().is_empty() || version.len() > 64 {
            return Err(invalid_field(
                "schemas",
                format!("schemas key {version:?} is not a message version (1 to 64 characters)"),
            ));
        }
        jsonschema::validator_for(schema).map_err(|e| {
            invalid_field(
                "schemas",
                format!("schemas[{version:?}] is not a valid JSON Schema: {e}"),
            )
        })?;
    }
    Ok(serde_json::json!(schemas))
}

/// The example must satisfy the schema it will be stored with.
pub(crate) fn check_example(
    schema: Option<&Value>,
    example: Option<&Value>,
) -> Result<(), ApiError> {
    let (Some(schema), Some(example)) = (schema, example) else {
        return Ok(());
    };
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| ApiError::invalid(format!("schema is not a valid JSON Schema: {e}")))?;
    if let Some(error) = validator.iter_errors(example).next() {
        let at = error.instance_path().to_string();
        return Err(ApiError::invalid(format!(
            "example does not match the schema: {error}{}",
            if at.is_empty() {
                String::new()
            } else {
                format!(" (at {at})")
            }
        ))
        .with_data(serde_json::json!({ "field": "example" })));
    }
    Ok(())
}

/// Defines an event type: the one path of the JSON route and the console.
pub async fn create_event_type(
    state: &AppState,
    caller: &Caller,
    app_id: Uuid,
    input: &CreateEventType,
) -> Result<EventType, ApiError> {
    check_app(state, caller, app_id).await?;
    let name = required(&input.name, "name")?;
    check_name(name)?;
    if let Some(schema) = &input.schema {
        check_schema(schema)?;
    }
    check_example(input.schema.as_ref(), input.example.as_ref())?;
    let schemas = input.schemas.as_ref().map(check_schemas).transpose()?;
    let examples = input
        .examples
        .as_ref()
        .map(|e| {
            check_examples(
                e,
                input.schema.as_ref(),
                input.schemas.as_ref().unwrap_or(&BTreeMap::new()),
            )
        })
        .transpose()?;
    let client = state.client().await?;
    let new = hookd_db::event_types::NewEventType {
        name,
        description: input.description.as_deref(),
        schema: input.schema.as_ref(),
        schemas: schemas.as_ref(),
        example: input.example.as_ref(),
        examples: examples.as_ref(),
    };
    let created = hookd_db::event_types::create(&client, app_id, &new)
        .await
        .map_err(ApiError::from_db("app"))?;
    let n = created.name.clone();
    state.schemas.remove_where(|(a, t)| *a == app_id && *t == n);
    Ok(created)
}

/// Changes an event type: the one path of the JSON route and the console.
pub async fn update_event_type(
    state: &AppState,
    caller: &Caller,
    app_id: Uuid,
    name: &str,
    change: &EventTypeChange<'_>,
) -> Result<EventType, ApiError> {
    check_app(state, caller, app_id).await?;
    if let Some(Some(schema)) = change.schema {
        check_schema(schema)?;
    }
    let schemas = match change.schemas {
        Some(Some(s)) => Some(Some(check_schemas(s)?)),
        Some(None) => Some(None),
        None => None,
    };
    let client = state.client().await?;
    let mut examples = None;
    if change.schema.is_some()
        || change.example.is_some()
        || change.schemas.is_some()
        || change.examples.is_some()
    {
        // The schemas and examples as they will be stored must agree.
        let current = hookd_db::event_types::get(&client, app_id, name)
            .await
            .map_err(ApiError::from_db("event type"))?;
        let schema = change.schema.unwrap_or(current.schema.as_ref());
        let example = change.example.unwrap_or(current.example.as_ref());
        check_example(schema, example)?;
        let empty = BTreeMap::new();
        let stored_schemas = match change.schemas {
            Some(s) => s.unwrap_or(&empty),
            None => &current.schemas,
        };
        let stored_examples = match change.examples {
            Some(e) => e.unwrap_or(&empty),
            None => &current.examples,
        };
        let checked = check_examples(stored_examples, schema, stored_schemas)?;
        examples = change.examples.map(|e| e.map(|_| checked));
    }
    let stored = hookd_db::event_types::EventTypeUpdate {
        description: change.description,
        schema: change.schema,
        schemas: schemas.as_ref().map(Option::as_ref),
        example: change.example,
        examples: examples.as_ref().map(Option::as_ref),
    };
    let updated = hookd_db::event_types::update(&client, app_id, name, &stored)
        .await
        .map_err(ApiError::from_db("event type"))?;
    state
        .schemas
        .remove_where(|(a, t)| *a == app_id && t == name);
    Ok(updated)
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
    let created = create_event_type(&state, &caller, *app_id, &body.0).await?;
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

/// Change an event type's description, schema, per-version schemas or examples.
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
    let (description, schema, schemas, example, examples) = (
        input.description.into_update(),
        input.schema.into_update(),
        input.schemas.into_update(),
        input.example.into_update(),
        input.examples.into_update(),
    );
    let change = EventTypeChange {
        description: description.as_ref().map(|d| d.as_deref()),
        schema: schema.as_ref().map(Option::as_ref),
        schemas: schemas.as_ref().map(Option::as_ref),
        example: example.as_ref().map(Option::as_ref),
        examples: examples.as_ref().map(Option::as_ref),
    };
    let updated = update_event_type(&state, &caller, app_id, &name, &change).await?;
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

/// The data of a test message of `event_type`: its example, or `{}` without one.
pub async fn example_of(
    state: &AppState,
    app_id: Uuid,
    event_type: &str,
) -> Result<Value, ApiError> {
    let client = state.client().await?;
    let example = match hookd_db::event_types::get(&client, app_id, event_type).await {
        Ok(t) => t.example,
        Err(hookd_db::DbError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(example.unwrap_or_else(|| Value::Object(Map::new())))
}
