use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// A JSON object body: over the size limit is 413, not JSON or not an object is 400, the wrong
/// shape (a field of the wrong type) is 422 naming the field. (The key was checked before any
/// extractor runs, by `auth::authenticate`.)
pub struct JsonBody<T>(pub T);

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("body exceeds {limit} bytes"),
    )
    .with_data(serde_json::json!({ "limit": limit }))
}

/// Like [`JsonBody`], for routes whose fields are all optional: an empty body reads as `{}`.
/// Anything else follows the rules of `JsonBody` (malformed JSON is still 400).
pub struct OptionalJsonBody<T>(pub T);

fn read_json<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    empty_is_object: bool,
) -> Pin<Box<dyn Future<Output = Result<T, ApiError>>>> {
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.ingest.body_limit_bytes)
        .unwrap_or(1 << 20);
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    Box::pin(async move {
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        // The body is parsed as JSON whatever its Content-Type says (curl -d sends a form
        // type), so a forgotten header is not an error.
        let mut bytes = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::bad_request(format!("cannot read body: {e}")))?;
            if bytes.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        let value: serde_json::Value = if empty_is_object && bytes.trim_ascii().is_empty() {
            serde_json::Value::Object(Default::default())
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::bad_request(format!("body is not valid JSON: {e}")))?
        };
        let Some(object) = value.as_object() else {
            return Err(ApiError::bad_request("body must be a JSON object"));
        };
        if let Some(field) = object
            .iter()
            .find(|(key, v)| key.contains('\0') || holds_nul(v))
            .map(|(key, _)| key)
        {
            return Err(ApiError::invalid(format!(
                "{field}: strings must not contain the NUL character (\\u0000)"
            ))
            .with_data(serde_json::json!({ "field": field })));
        }
        serde_json::from_value(value.clone()).map_err(|e| shape_error::<T>(&value, e))
    })
}

/// Whether a string or key anywhere in `value` holds U+0000, which PostgreSQL stores in neither
/// text nor jsonb. (Recursion is bounded: serde_json refuses nesting deeper than 128.)
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// A 422 for a body of the wrong shape, naming the field when one top-level field is to blame
/// (the body parses without it): serde's own message does not say which field it was.
fn shape_error<T: DeserializeOwned>(value: &serde_json::Value, e: serde_json::Error) -> ApiError {
    let culprit = value.as_object().and_then(|object| {
        object
            .keys()
            .find(|key| {
                let mut without = object.clone();
                without.remove(*key);
                serde_json::from_value::<T>(serde_json::Value::Object(without)).is_ok()
            })
            .cloned()
    });
    match culprit {
        Some(field) => ApiError::invalid(format!("{field}: {e}"))
            .with_data(serde_json::json!({ "field": field })),
        None => ApiError::invalid(e.to_string()),
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json(req, payload, false);
        Box::pin(async move { body.await.map(JsonBody) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json(req, payload, true);
        Box::pin(async move { body.await.map(OptionalJsonBody) })
    }
}

/// A required string field that must not be blank.
pub fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ApiError::invalid(format!("{field} is required"))
            .with_data(serde_json::json!({ "field": field }))),
    }
}

/// Rejects names longer than is sensible for an identifier.
pub fn check_len(value: &str, field: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(
            ApiError::invalid(format!("{field} must be at most {max} characters"))
                .with_data(serde_json::json!({ "field": field })),
        );
    }
    Ok(())
}
