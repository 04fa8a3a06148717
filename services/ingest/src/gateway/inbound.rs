//! `{public_url}/e/{source_id}[/suffix]`: where providers post. No API key: the source's
//! verification is the proof. Every request of a known source is stored (rejected ones with
//! their cause) and an accepted one is answered 200 only once committed. Sources are read
//! through a short cache and inserts batched across concurrent requests (`crate::batcher`).

use super::ids::{self, REQUEST, SOURCE};
use crate::error::ApiError;
use crate::events::PublishSkipped;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;
use futures_util::StreamExt;
use hookd_db::gateway::requests::{NewRequest, Request};
use hookd_db::gateway::sources::{self, Source};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Why a request was refused: status, code.
#[derive(Debug, Clone, Copy)]
enum Rejection {
    Disabled,
    Method,
    Verification,
    TooLarge,
}

impl Rejection {
    fn cause(self) -> &'static str {
        match self {
            Rejection::Disabled => "SOURCE_DISABLED",
            Rejection::Method => "UNSUPPORTED_HTTP_METHOD",
            Rejection::Verification => "VERIFICATION_FAILED",
            Rejection::TooLarge => "PAYLOAD_TOO_LARGE",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Rejection::Disabled => StatusCode::FORBIDDEN,
            Rejection::Method => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::Verification => StatusCode::UNAUTHORIZED,
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Rejection::Disabled => "the source is disabled",
            Rejection::Method => "this HTTP method is not allowed on this source",
            Rejection::Verification => "the request failed the source's verification",
            Rejection::TooLarge => "the body is larger than the limit",
        }
    }
}

/// Any method on `/e/{source_id}` and `/e/{source_id}/{suffix}`.
#[tracing::instrument(name = "gateway.inbound", skip_all, fields(source_id, request_id))]
pub async fn receive(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    match handle(&req, payload, &state).await {
        Ok(response) => response,
        Err(e) => e.error_response(),
    }
}

async fn handle(
    req: &HttpRequest,
    mut payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let raw_id = req.match_info().get("source_id").unwrap_or_default();
    let source_id = ids::parse(SOURCE, raw_id).ok_or_else(|| ApiError::not_found("source"))?;
    tracing::Span::current().record("source_id", raw_id);
    let source = source(state, source_id).await?;
    let method = req.method().as_str().to_owned();
    let mut rejection = if source.disabled_at.is_some() {
        Some(Rejection::Disabled)
    } else if !source.allowed_http_methods.contains(&method) {
        Some(Rejection::Method)
    } else {
        None
    };
    // The body is read whatever else is wrong, up to the limit, so the record is complete.
    let limit = state.settings.ingest.body_limit_bytes;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("cannot read body: {e}")))?;
        if body.len() + chunk.len() > limit {
            rejection = rejection.or(Some(Rejection::TooLarge));
            body.clear();
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let verified = match (&source.verification_type, rejection) {
        (Some(kind), None) => {
            let configs = match &source.verification_configs {
                Some(sealed) => super::sources::open_json(state, sealed)?,
                None => json!({}),
            };
            let ok =
                super::verify::passes(kind, &configs, req.headers(), &body, Utc::now().timestamp());
            if !ok {
                rejection = Some(Rejection::Verification);
            }
            ok
        }
        _ => false,
    };
    let request = Request {
        id: hookd_domain::new_id(),
        organization_id: source.organization_id,
        source_id: source.id,
        verified,
        rejection_cause: rejection.map(|r| r.cause().to_owned()),
        method,
        data: data(req, &body),
        events_count: 0,
        ignored_count: 0,
        ingested_at: Utc::now(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    let (id, created_at) = (request.id, request.created_at);
    let request_id = ids::format(REQUEST, id);
    tracing::Span::current().record("request_id", request_id.as_str());
    // Shares a statement and a commit with concurrent requests; committed when answered.
    state
        .requests
        .submit(NewRequest {
            request,
            body: body.to_vec(),
            traceparent: hookd_bus::current_traceparent(),
        })
        .await?;
    if let Some(r) = rejection {
        state
            .gateway_metrics
            .requests_rejected
            .with_label_values(&[r.cause()])
            .inc();
        return Err(ApiError::new(r.status(), r.message())
            .with_code(r.cause())
            .with_data(json!({ "request_id": request_id })));
    }
    // Committed: the 200 holds from here. The publish is the fast path to the router; if it
    // fails or too many are in flight, the router's relay finds the request unrouted.
    let envelope = hookd_bus::request_accepted(
        id,
        source.id,
        source.organization_id,
        created_at.timestamp_micros(),
    );
    if let Err(envelope) = state.requests_out.offer(envelope) {
        PublishSkipped::Saturated {
            id: &envelope.request_id,
        }
        .emit(&state.gateway_metrics.publish_failures)
    }
    state.gateway_metrics.requests_accepted.inc();
    Ok(accepted(&source, &request_id))
}

/// The source of a source URL, from the cache or the database.
async fn source(state: &AppState, id: uuid::Uuid) -> Result<Arc<Source>, ApiError> {
    if let Some(source) = state.sources.get(&id) {
        return Ok(source);
    }
    let client = state.client().await?;
    let source = Arc::new(
        sources::get_public(&client, id)
            .await
            .map_err(ApiError::from_db("source"))?,
    );
    state.sources.insert(id, source.clone());
    Ok(source)
}

/// The answer to an accepted request: the source's custom response, or Hookdeck's.
fn accepted(source: &Source, request_id: &str) -> HttpResponse {
    if let Some(custom) = &source.custom_response {
        let content_type = match custom["content_type"].as_str() {
            Some("json") => "application/json",
            Some("xml") => "application/xml",
            _ => "text/plain; charset=utf-8",
        };
        return HttpResponse::Ok()
            .content_type(content_type)
            .body(custom["body"].as_str().unwrap_or_default().to_owned());
    }
    HttpResponse::Ok().json(json!({
        "status": "SUCCESS",
        "message": "Request received",
        "request_id": request_id,
    }))
}

/// `{path, query, parsed_query, headers, body}` of a request.
fn data(req: &HttpRequest, body: &[u8]) -> Value {
    let path = match req.match_info().get("suffix") {
        Some(s) if !s.is_empty() => format!("/{s}"),
        _ => "/".to_owned(),
    };
    let mut headers = Map::new();
    for (name, value) in req.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_owned(), Value::String(value));
            }
        }
    }
    let body = match serde_json::from_slice::<Value>(body) {
        Ok(v) => v,
        Err(_) if body.is_empty() => Value::Null,
        Err(_) => Value::String(String::from_utf8_lossy(body).into_owned()),
    };
    json!({
        "path": path,
        "query": req.query_string(),
        "parsed_query": parse_query(req.query_string()),
        "headers": headers,
        "body": body,
    })
}

/// `a=1&b=2&b=3&c[]=4` → `{"a": "1", "b": ["2", "3"], "c": ["4"]}`.
pub fn parse_query(query: &str) -> Value {
    let mut out = Map::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let (key, list) = match key.strip_suffix("[]") {
            Some(k) => (k.to_owned(), true),
            None => (key.into_owned(), false),
        };
        let value = Value::String(value.into_owned());
        match out.get_mut(&key) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => *existing = Value::Array(vec![existing.take(), value]),
            None if list => {
                out.insert(key, Value::Array(vec![value]));
            }
            None => {
                out.insert(key, value);
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_into_strings_and_lists() {
        assert_eq!(
            parse_query("a=1&b=2&b=3&c[]=4&d=x%20y"),
            json!({"a": "1", "b": ["2", "3"], "c": ["4"], "d": "x y"})
        );
        assert_eq!(parse_query(""), json!({}));
    }
}
