//! `X-Request-Id` (API.md): the caller's, when it is a sane token, else a new one; returned on
//! every answer, carried by the request's span, and on the one access-log line per request
//! (logged in that span, so it carries the request's `trace_id` too when spans are exported).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Up to 200 visible ASCII characters: what can go into a log line and a header unchanged.
fn acceptable(id: &str) -> bool {
    (1..=200).contains(&id.len()) && id.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// The outermost middleware of the ingest service.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    let method = req.method().to_string();
    // The path only: a source URL's query may carry a provider's token.
    let path = req.path().to_owned();
    let span = tracing::info_span!("http.request", request_id = %id, %method, %path);
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(response) => {
            let mut response = response.map_into_boxed_body();
            let status = response.status().as_u16();
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(HEADER, value);
            }
            tracing::info!(target: "hookd::access", parent: &span, request_id = %id, %method, %path, status, duration_ms = millis, "request");
            Ok(response)
        }
        Err(e) => {
            let status = e.as_response_error().status_code().as_u16();
            tracing::info!(target: "hookd::access", parent: &span, request_id = %id, %method, %path, status, duration_ms = millis, "request");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn only_sane_ids_are_kept() {
        assert!(acceptable("req-123_abc"));
        assert!(!acceptable(""));
        assert!(!acceptable("a b"));
        assert!(!acceptable("line\nbreak"));
        assert!(!acceptable(&"x".repeat(201)));
    }
}
