use crate::auth::{generate_api_key, hash_api_key, Caller};
use crate::body::{self, check_len, required};
use crate::error::ApiError;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::state::AppState;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use hookd_domain::ApiKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create).service(list).service(remove);
}

#[derive(Deserialize, ToSchema)]
pub struct CreateApiKey {
    /// A label for the key, `default` when absent.
    pub name: Option<String>,
}

/// A new key: `key` is the plaintext, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: Uuid,
    pub name: String,
    pub key: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Creates a key of the caller's organization: the one path of the JSON route and the console.
pub async fn create_key(
    state: &AppState,
    caller: &Caller,
    input: &CreateApiKey,
) -> Result<CreatedApiKey, ApiError> {
    // Named `default` when no name is given; a given name must not be blank.
    let name = match &input.name {
        None => "default".to_owned(),
        given => required(given, "name")?.to_owned(),
    };
    check_len(&name, "name", 256)?;
    let key = generate_api_key();
    let client = state.client().await?;
    let created = hookd_db::api_keys::create(
        &client,
        caller.organization_id,
        &name,
        &hash_api_key(&key),
        false,
    )
    .await?;
    Ok(CreatedApiKey {
        id: created.id,
        name: created.name,
        key,
        created_at: created.created_at,
    })
}

/// Deletes a key of the caller's organization; it is refused from the next request on.
pub async fn delete_key(state: &AppState, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    let client = state.client().await?;
    let hash = hookd_db::api_keys::delete(&client, caller.organization_id, id)
        .await
        .map_err(ApiError::from_db("API key"))?;
    // Refused from the next request on, here without waiting for the NOTIFY.
    state.keys.remove_where(|k| k.as_slice() == hash.as_slice());
    Ok(())
}

/// Create an API key for the caller's organization.
#[utoipa::path(tag = "api_keys", request_body(content = Option<CreateApiKey>),
    responses((status = 201, body = CreatedApiKey), (status = 422, body = ErrorBody)))]
#[post("/api_keys")]
async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: body::OptionalJson<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Created().json(create_key(&state, &caller, &body.0).await?))
}

/// List the organization's API keys (never their plaintext).
#[utoipa::path(tag = "api_keys", responses((status = 200, body = ListResponse<ApiKey>)))]
#[get("/api_keys")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<ApiKey>>, ApiError> {
    let q = ListQuery::parse(
        &req,
        &[
            ("created_at", "k.created_at", Kind::Time),
            ("name", "k.name", Kind::Text),
        ],
    )?;
    let client = state.client().await?;
    let listed =
        hookd_db::api_keys::list(&client, caller.organization_id, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// Delete an API key; it is refused from the next request on.
#[utoipa::path(tag = "api_keys", responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/api_keys/{id}")]
async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    delete_key(&state, &caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
