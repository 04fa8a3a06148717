//! `Idempotency-Key` on the API's POSTs (API.md): the same key with the same request within
//! 24 h answers the first answer again and makes nothing new; the same key with another request
//! is a 409. Keys are per organization and stored in PostgreSQL, so every replica agrees.
//! Runs after authentication (it needs the caller) and before the handler.

use crate::auth::Caller;
use crate::body::too_large;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, CONTENT_TYPE};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use futures_util::StreamExt;
use hookd_db::idempotency::{self, Claim, StoredAnswer};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const HEADER: &str = "idempotency-key";
/// How long an answer is replayed.
const TTL: Duration = Duration::from_secs(24 * 3600);
/// A key still in progress after this long belongs to a request that died.
const STALE_AFTER: Duration = Duration::from_secs(60);
/// Expired keys are swept by every so many new claims, a small batch at a time.
const SWEEP_EVERY: u64 = 128;
static CLAIMS: AtomicU64 = AtomicU64::new(0);

/// Printable ASCII, 1 to 255 characters, as Stripe and Svix take it.
fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// What identifies a request under a key: method, path with query, and body.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update(b" ");
    hash.update(req.uri().to_string());
    hash.update(b"\n");
    hash.update(body);
    hash.finalize().to_vec()
}

async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, ApiError> {
    let mut payload = req.take_payload();
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("cannot read body: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

fn replay(answer: StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    if let Some(ct) = answer.content_type {
        response.insert_header((CONTENT_TYPE, ct));
    }
    response.insert_header(("idempotent-replayed", "true"));
    response.body(answer.body)
}

/// Middleware over `/api/v1`: POSTs with an `Idempotency-Key` header.
pub async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let applies = req.method() == Method::POST && req.path().starts_with("/api/v1/");
    let key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap_or("").to_owned());
    let caller = req.extensions().get::<Caller>().copied();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(key), Some(caller), Some(state), true) = (key, caller, state, applies) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if !valid_key(&key) {
        let e = ApiError::invalid("Idempotency-Key must be 1 to 255 printable ASCII characters")
            .with_data(serde_json::json!({ "header": "Idempotency-Key" }));
        return Ok(req.into_response(e.error_response()));
    }
    let body = match read_body(&mut req, state.settings.ingest.body_limit_bytes).await {
        Ok(body) => body,
        Err(e) => return Ok(req.into_response(e.error_response())),
    };
    let print = fingerprint(&req, &body);
    req.set_payload(Payload::from(body));
    let org = caller.organization_id;
    let claimed = async {
        let client = state.client().await?;
        let claim = idempotency::claim(&client, org, &key, &print, TTL, STALE_AFTER).await?;
        if claim == Claim::Acquired
            && CLAIMS
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(SWEEP_EVERY)
        {
            idempotency::sweep_expired(&client, 500).await?;
        }
        Ok::<_, ApiError>(claim)
    }
    .await;
    let conflict = |message: &str| {
        ApiError::conflict(message).with_data(serde_json::json!({ "header": "Idempotency-Key" }))
    };
    match claimed {
        Err(e) => return Ok(req.into_response(e.error_response())),
        Ok(Claim::Answered(answer)) => return Ok(req.into_response(replay(answer))),
        Ok(Claim::Mismatch) => {
            let e = conflict("this Idempotency-Key was used with another request");
            return Ok(req.into_response(e.error_response()));
        }
        Ok(Claim::InProgress) => {
            let mut e = conflict("a request with this Idempotency-Key is still in progress");
            e.retry_after = Some(1);
            return Ok(req.into_response(e.error_response()));
        }
        Ok(Claim::Acquired) => {}
    }
    let response = next.call(req).await;
    let client = state.client().await;
    let (response, keep) = match response {
        Ok(response) => {
            let status = response.status();
            // A 5xx or 429 may go another way next time: the key is freed, not remembered.
            let keep = !status.is_server_error() && status != StatusCode::TOO_MANY_REQUESTS;
            (response, keep)
        }
        Err(e) => {
            if let Ok(client) = &client {
                let _ = idempotency::release(client, org, &key).await;
            }
            return Err(e);
        }
    };
    let (http_req, res) = response.into_parts();
    let (res, body) = res.into_parts();
    let bytes = to_bytes(body).await.map_err(|e| {
        actix_web::error::ErrorInternalServerError(format!(
            "cannot buffer the answer: {}",
            e.into()
        ))
    })?;
    if let Ok(client) = &client {
        let stored = if keep {
            let answer = StoredAnswer {
                status: res.status().as_u16(),
                content_type: res
                    .headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| HeaderValue::to_str(v).ok())
                    .map(str::to_owned),
                body: bytes.to_vec(),
            };
            idempotency::complete(client, org, &key, &answer).await
        } else {
            idempotency::release(client, org, &key).await
        };
        if let Err(e) = stored {
            // The work is done; only a replay is lost: the stale lock frees the key later.
            tracing::warn!(error = %e, "could not record an idempotent answer");
        }
    }
    let res = res.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(http_req, res))
}

#[cfg(test)]
mod tests {
    use super::valid_key;

    #[test]
    fn keys_are_printable_ascii_up_to_255() {
        assert!(valid_key("order-42_retry.1"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key("é"));
        assert!(!valid_key(&"k".repeat(256)));
        assert!(valid_key(&"k".repeat(255)));
    }
}
