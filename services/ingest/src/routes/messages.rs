use crate::auth::Caller;
use crate::body::{self, check_len, invalid_field, Nullable};
use crate::error::ApiError;
use crate::events::PublishSkipped;
use crate::list::{Kind, ListQuery, ListResponse};
use crate::openapi::ErrorBody;
use crate::routes::{check_app, load_subscription};
use crate::state::AppState;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use hookd_db::messages::NewMessage;
use hookd_domain::{new_id, DeliveryStatus, EndpointStatus, Message, DEFAULT_VERSION};
use serde::Deserialize;
use serde_json::Value;
use std::time::Instant;
use tracing::{Instrument, Span};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(send)
        .service(send_alias)
        .service(send_to_endpoint)
        .service(list)
        .service(get_one)
        .service(expunge_content);
}

/// A message to send.
#[derive(Deserialize, ToSchema)]
pub struct SendMessage {
    /// Such as `user.created`.
    #[schema(required = true)]
    pub event_type: Option<String>,
    /// Any JSON value (`null` too).
    #[serde(default)]
    #[schema(value_type = Value, required = true)]
    pub data: Nullable<Value>,
    /// `1.0` when absent.
    pub version: Option<String>,
    /// Makes the send idempotent per app.
    pub event_id: Option<String>,
}

struct Input {
    event_type: String,
    version: String,
    pub event_id: Option<String>,
    data: Value,
}

fn parse_input(body: SendMessage) -> Result<Input, ApiError> {
    let event_type = match body.event_type {
        Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
        None => return Err(invalid_field("event_type", "event_type is required")),
        Some(_) => {
            return Err(invalid_field(
                "event_type",
                "event_type must be a non-empty string",
            ))
        }
    };
    check_len(&event_type, "event_type", 256)?;
    let data = match body.data {
        Nullable::Absent => return Err(invalid_field("data", "data is required")),
        Nullable::Null => Value::Null,
        Nullable::Value(v) => v,
    };
    let version = match body.version {
        None => DEFAULT_VERSION.to_owned(),
        Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(_) => {
            return Err(invalid_field(
                "version",
                "version must be a non-empty string",
            ))
        }
    };
    check_len(&version, "version", 64)?;
    let event_id = match body.event_id {
        None => None,
        Some(s) if !s.is_empty() => Some(s),
        Some(_) => {
            return Err(invalid_field(
                "event_id",
                "event_id must be a non-empty string",
            ))
        }
    };
    if let Some(id) = &event_id {
        check_len(id, "event_id", 256)?;
    }
    Ok(Input {
        event_type,
        version,
        event_id,
        data,
    })
}

/// Validates, stores and publishes a message: the one path of every send.
#[tracing::instrument(name = "ingest.send", skip_all, fields(app_id = %app_id,
    event_type = %input.event_type, message_id = tracing::field::Empty))]
async fn accept(
    state: &AppState,
    caller: &Caller,
    app_id: Uuid,
    input: Input,
    endpoint_id: Option<Uuid>,
) -> Result<(Message, bool), ApiError> {
    crate::schemas::check_data(
        state,
        app_id,
        &input.event_type,
        &input.version,
        &input.data,
    )
    .await?;
    // Last of the checks: a refused message does not count against the day's quota.
    crate::quotas::take_message(state, caller.organization_id).await?;
    let now = chrono::Utc::now();
    // Whole microseconds, as PostgreSQL stores them, so every rendering of the body agrees.
    let created_at = chrono::DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
    let new = NewMessage {
        id: new_id(),
        app_id,
        event_type: input.event_type,
        version: input.version,
        event_id: input.event_id,
        data: input.data,
        endpoint_id,
        task_id: None,
        created_at,
        // The send's step: a relay of this message (its publish missed) continues the trace.
        traceparent: hookd_bus::current_traceparent(),
    };
    // Batched with concurrent sends: one statement, one commit for many messages.
    let (message, created) = state
        .batcher
        .submit(new)
        .instrument(tracing::info_span!("ingest.insert"))
        .await
        .map_err(ApiError::from_db("app"))?;
    Span::current().record("message_id", tracing::field::display(message.id));
    if !created {
        state.metrics.messages_duplicate.inc();
        return Ok((message, false));
    }
    // Committed: the 202 holds from here, so the answer does not wait for the broker. The
    // publish is the fast path to the router, batched with concurrent sends; if it fails, or
    // too many wait (the broker is down), the router's relay finds the message unrouted.
    // Built in the publish span, so the router's spans continue from it.
    let publishing = tracing::info_span!("ingest.publish", message_id = %message.id);
    let envelope =
        publishing.in_scope(|| hookd_bus::message_accepted(&message, app_id, endpoint_id, None));
    if let Err(envelope) = state.messages_out.offer(envelope) {
        PublishSkipped::Saturated {
            id: &envelope.message_id,
        }
        .emit(&state.metrics.publish_failures)
    }
    state.metrics.messages_accepted.inc();
    Ok((message, true))
}

/// 202 with a new message, 200 with the first one of a repeated `event_id`.
fn answer((message, created): (Message, bool)) -> HttpResponse {
    if created {
        HttpResponse::Accepted().json(message)
    } else {
        HttpResponse::Ok().json(message)
    }
}

async fn send_message(
    state: &AppState,
    caller: &Caller,
    app_id: Uuid,
    body: SendMessage,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let result = async {
        let input = parse_input(body)?;
        check_app(state, caller, app_id).await?;
        accept(state, caller, app_id, input, None).await.map(answer)
    }
    .await;
    state
        .metrics
        .request_duration
        .observe(started.elapsed().as_secs_f64());
    if let Err(e) = &result {
        state
            .metrics
            .messages_rejected
            .with_label_values(&[e.status.as_str()])
            .inc();
    }
    result
}

/// Send a message to every enabled endpoint of the app subscribed to its event type and
/// version. 202 once it is durable; 200 with the first message when `event_id` was seen; 429
/// (with `Retry-After`) past the organization's `messages_per_day` quota.
#[utoipa::path(tag = "messages", request_body = SendMessage,
    responses((status = 202, body = Message), (status = 200, body = Message),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/apps/{app_id}/messages")]
async fn send(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    body: body::Json<SendMessage>,
) -> Result<HttpResponse, ApiError> {
    send_message(&state, &caller, *app_id, body.0).await
}

/// Alias of `POST /apps/{app_id}/messages` (HostedHooks' path).
#[utoipa::path(tag = "messages", request_body = SendMessage,
    responses((status = 202, body = Message), (status = 200, body = Message), (status = 422, body = ErrorBody)))]
#[post("/app/{app_id}/messages")]
async fn send_alias(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    body: body::Json<SendMessage>,
) -> Result<HttpResponse, ApiError> {
    send_message(&state, &caller, *app_id, body.0).await
}

/// Send a message to one endpoint only (it must be enabled and of the message's version).
#[utoipa::path(tag = "messages", request_body = SendMessage,
    responses((status = 202, body = Message), (status = 200, body = Message),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/subscriptions/{subscription_id}/endpoints/{endpoint_id}/messages")]
async fn send_to_endpoint(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: body::Json<SendMessage>,
) -> Result<HttpResponse, ApiError> {
    let (sub_id, endpoint_id) = path.into_inner();
    send_to_one_endpoint(&state, &caller, sub_id, endpoint_id, body.0)
        .await
        .map(answer)
}

/// Sends a message to one endpoint (enabled, same version): the one path of the JSON route,
/// the console's and the portal's "Send test message".
pub async fn send_to_one_endpoint(
    state: &AppState,
    caller: &Caller,
    sub_id: Uuid,
    endpoint_id: Uuid,
    body: SendMessage,
) -> Result<(Message, bool), ApiError> {
    let input = parse_input(body)?;
    let sub = load_subscription(state, caller, sub_id).await?;
    let endpoint = {
        let client = state.client().await?;
        hookd_db::endpoints::get(&client, sub_id, endpoint_id)
            .await
            .map_err(ApiError::from_db("endpoint"))?
    };
    if endpoint.status != EndpointStatus::Enabled {
        return Err(ApiError::invalid("the endpoint is disabled"));
    }
    if endpoint.version != input.version {
        return Err(ApiError::invalid(format!(
            "the endpoint receives version {}, not {}",
            endpoint.version, input.version
        )));
    }
    let result = accept(state, caller, sub.app_id, input, Some(endpoint_id)).await;
    if let Err(e) = &result {
        state
            .metrics
            .messages_rejected
            .with_label_values(&[e.status.as_str()])
            .inc();
    }
    result
}

/// `status=pending|succeeded|failed` of a message list: messages with a delivery in it.
pub fn status_param(req: &HttpRequest) -> Result<Option<DeliveryStatus>, ApiError> {
    let given = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "status")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty());
    match given {
        None => Ok(None),
        Some(v) => DeliveryStatus::parse(&v).map(Some).ok_or_else(|| {
            ApiError::invalid("status must be one of pending, succeeded, failed")
                .with_data(serde_json::json!({ "field": "status" }))
        }),
    }
}

/// The filters of a message list, shared by the JSON route, the console and the portal.
pub const LIST_FILTERS: &[crate::list::Filterable] = &[
    ("created_at", "m.created_at", Kind::Time),
    ("event_type", "m.event_type", Kind::Text),
    ("version", "m.version", Kind::Text),
    ("event_id", "m.event_id", Kind::Text),
];

/// List the app's messages; `status` keeps those with a delivery in that status.
#[utoipa::path(tag = "messages",
    params(("status" = Option<String>, Query, description = "pending, succeeded or failed: messages with a delivery in that status")),
    responses((status = 200, body = ListResponse<Message>), (status = 422, body = ErrorBody)))]
#[get("/apps/{app_id}/messages")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<ListResponse<Message>>, ApiError> {
    check_app(&state, &caller, *app_id).await?;
    let q = ListQuery::parse(&req, LIST_FILTERS)?;
    let status = status_param(&req)?;
    let scope = hookd_db::message_log::Scope {
        status,
        subscription_id: None,
    };
    let client = state.client().await?;
    let listed = hookd_db::message_log::list(&client, *app_id, scope, &q.filters, &q.page).await?;
    Ok(web::Json(q.respond(listed)))
}

/// Get a message.
#[utoipa::path(tag = "messages", responses((status = 200, body = Message), (status = 404, body = ErrorBody)))]
#[get("/messages/{message_id}")]
async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Message>, ApiError> {
    let client = state.client().await?;
    let message = hookd_db::messages::get(&client, caller.organization_id, *id)
        .await
        .map_err(ApiError::from_db("message"))?;
    Ok(web::Json(message))
}

/// Expunge the message's payload now: it reads as `data: null` with `expunged_at` afterwards,
/// its attempts lose their response bodies, and its pending deliveries end as failed (it can
/// never be sent again). 204, also when it was already expunged.
#[utoipa::path(tag = "messages",
    responses((status = 204, description = "The payload is expunged."),
        (status = 404, body = ErrorBody)))]
#[delete("/messages/{message_id}/content")]
async fn expunge_content(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut client = state.client().await?;
    let tx = client
        .transaction()
        .await
        .map_err(hookd_db::DbError::from)?;
    hookd_db::retention::expunge_in_org(&tx, caller.organization_id, *id)
        .await
        .map_err(ApiError::from_db("message"))?;
    tx.commit().await.map_err(hookd_db::DbError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
