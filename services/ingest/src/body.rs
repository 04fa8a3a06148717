//! Request bodies: the one JSON extractor of every route that reads a body.
//!
//! A handler takes `body::Json<T>` (or `body::OptionalJson<T>` when an empty body means `{}`),
//! where `T` is the route's one body struct (`Deserialize + ToSchema`, named in the route's
//! `request_body`), so the type that is parsed is the type the OpenAPI document shows. The body
//! is parsed once, straight into `T`; a field of the wrong type is a 422 naming its path.
//! Handlers with their own extractors (the gateway, the console) can call [`parse`].

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use std::future::Future;
use std::pin::Pin;

/// A JSON object body: over the size limit is 413, not JSON or not an object is 400, the wrong
/// shape (a field of the wrong type, an unknown field where `T` denies them) is 422 naming the
/// field. (The key was checked before any extractor runs, by `auth::authenticate`.)
pub struct Json<T>(pub T);

/// Like [`Json`], for routes whose fields are all optional: an empty body reads as `{}`.
/// Anything else follows the rules of `Json` (malformed JSON is still 400).
pub struct OptionalJson<T>(pub T);

/// A body field that may be absent, `null` or a value: what a PATCH needs to tell "leave it"
/// from "clear it". The field needs `#[serde(default)]` (absent) and, for the document,
/// `#[schema(value_type = Option<..>)]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Nullable<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Nullable<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// `None` when absent, `Some(None)` for `null`: the shape of the database's update fields.
    pub fn into_update(self) -> Option<Option<T>> {
        match self {
            Nullable::Absent => None,
            Nullable::Null => Some(None),
            Nullable::Value(v) => Some(Some(v)),
        }
    }

    /// The value, with `null` read as absent (for fields where the two mean the same).
    pub fn into_option(self) -> Option<T> {
        self.into_update().flatten()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only a present field reaches here (absent is the `serde(default)`).
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Nullable::Null,
            Some(v) => Nullable::Value(v),
        })
    }
}

pub(crate) fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("body exceeds {limit} bytes"),
    )
    .with_data(serde_json::json!({ "limit": limit }))
}

/// Parses a request body into `T` in one pass. `empty_is_object`: a blank body reads as `{}`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8], empty_is_object: bool) -> Result<T, ApiError> {
    let bytes: &[u8] = if empty_is_object && bytes.trim_ascii().is_empty() {
        b"{}"
    } else {
        bytes
    };
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(ApiError::bad_request("body must be a JSON object"));
    }
    // Unknown fields are skipped without reading their strings, so UTF-8 is checked here, once.
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ApiError::bad_request(format!("body is not valid JSON: not UTF-8 ({e})")))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| shape_error(bytes, e))?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("body is not valid JSON: {e}")))?;
    if let Some(field) = nul_field(bytes) {
        return Err(ApiError::invalid(format!(
            "{field}: strings must not contain the NUL character (\\u0000)"
        ))
        .with_data(serde_json::json!({ "field": field })));
    }
    Ok(value)
}

/// Reads a JSON object built in code (the console's and the portal's form fields) into the
/// route's body struct, with the same 422 naming the field as a request body gets.
pub fn from_object<T: DeserializeOwned>(
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(serde_json::Value::Object(object.clone())).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        if path == "." {
            return ApiError::invalid(message);
        }
        invalid_field(&path, format!("{path}: {message}"))
    })
}

/// 400 for bytes that are not JSON, 422 naming the path of the field that has the wrong shape.
/// The parse stops at its first error, so before a 422 the rest of the body is checked to be
/// JSON at all (a scan that builds nothing, on this error path only): JSON that is cut short
/// after a mistyped field is still a 400.
fn shape_error(bytes: &[u8], e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    // serde_json reports some shape errors (an array where an enum goes) as syntax: whether the
    // body is JSON at all decides between 400 and 422.
    if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return ApiError::bad_request(format!("body is not valid JSON: {syntax}"));
    }
    // The position says little once the field is named.
    let message = inner.to_string();
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    let message = message.strip_suffix(&position).unwrap_or(&message);
    if path == "." {
        return ApiError::invalid(message);
    }
    ApiError::invalid(format!("{path}: {message}")).with_data(serde_json::json!({ "field": path }))
}

/// The top-level field of a valid JSON object that holds U+0000 (PostgreSQL stores it in
/// neither text nor jsonb), if one does. A scan of the bytes finds it (in valid JSON every
/// backslash starts an escape); only then is the body read again, to name the field.
fn nul_field(bytes: &[u8]) -> Option<String> {
    let mut rest = bytes;
    loop {
        let i = rest.iter().position(|b| *b == b'\\')?;
        if rest[i + 1..].starts_with(b"u0000") {
            break;
        }
        rest = rest.get(i + 2..)?;
    }
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes).ok()?;
    object
        .iter()
        .find(|(key, v)| key.contains('\0') || holds_nul(v))
        .map(|(key, _)| key.replace('\0', "\\u0000"))
}

/// Whether a string or key anywhere in `value` holds U+0000. (Recursion is bounded: serde_json
/// refuses nesting deeper than 128.)
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

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
        parse(&bytes, empty_is_object)
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json(req, payload, false);
        Box::pin(async move { body.await.map(Json) })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json(req, payload, true);
        Box::pin(async move { body.await.map(OptionalJson) })
    }
}

/// A 422 naming `field`, in the style of the body's own errors.
pub fn invalid_field(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid(message).with_data(serde_json::json!({ "field": field }))
}

/// A required string field that must not be blank.
pub fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(invalid_field(field, format!("{field} is required"))),
    }
}

/// Rejects names longer than is sensible for an identifier.
pub fn check_len(value: &str, field: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(invalid_field(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
