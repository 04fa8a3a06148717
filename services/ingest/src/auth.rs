use crate::error::ApiError;
use crate::ratelimit::{too_many, KeyIdentity, RateLimiter};
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpRequest};
use actix_web::{HttpMessage, ResponseError};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::pin::Pin;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Prefix that makes hookd keys recognisable (secret scanners, support tickets).
const KEY_PREFIX: &str = "hk_";

/// A new random API key: `hk_` + 32 random bytes, URL-safe base64.
pub fn generate_api_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Keys are random and long, so a fast hash is enough: there is nothing to brute-force.
pub fn hash_api_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub organization_id: Uuid,
    pub is_admin: bool,
}

/// The key in `Authorization: Bearer <key>` or Basic auth with the key as user name.
fn presented_key(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return (!rest.is_empty()).then(|| rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = String::from_utf8(STANDARD.decode(rest).ok()?).ok()?;
        let user = decoded.split_once(':').map_or(decoded.as_str(), |(u, _)| u);
        return (!user.is_empty()).then(|| user.to_owned());
    }
    None
}

/// The caller of a key: the bootstrap admin key, or a stored key (cached briefly; a deletion
/// anywhere clears every replica's cache at once, the api_keys trigger NOTIFYs hookd_api_keys).
/// Unknown keys are cached as unknown for a few seconds.
pub async fn resolve(state: &AppState, key: Option<String>) -> Result<Caller, ApiError> {
    let key = key.ok_or_else(ApiError::unauthorized)?;
    resolve_hash(state, hash_api_key(&key)).await
}

/// What the caches know of a key's hash: `Some(Ok)` a caller, `Some(Err)` unknown, `None` a
/// database lookup is needed.
fn resolve_cached(state: &AppState, hash: &[u8; 32]) -> Option<Result<Caller, ApiError>> {
    if let Some(bootstrap) = &state.bootstrap_key_hash {
        if bool::from(bootstrap.ct_eq(hash)) {
            return Some(Ok(Caller {
                organization_id: state.default_org,
                is_admin: true,
            }));
        }
    }
    if let Some(owner) = state.keys.get(hash) {
        return Some(Ok(Caller {
            organization_id: owner.organization_id,
            is_admin: owner.is_admin,
        }));
    }
    state
        .unknown_keys
        .get(hash)
        .map(|()| Err(ApiError::unauthorized()))
}

/// The caller of a key's hash from the database, remembered either way.
async fn lookup(state: &AppState, hash: [u8; 32]) -> Result<Caller, ApiError> {
    state.metrics.key_lookups.inc();
    let client = state.pool.get().await.map_err(hookd_db::DbError::from)?;
    let Some(owner) = hookd_db::api_keys::find_by_hash(&client, &hash).await? else {
        state.unknown_keys.insert(hash, ());
        return Err(ApiError::unauthorized());
    };
    state.keys.insert(hash, owner);
    Ok(Caller {
        organization_id: owner.organization_id,
        is_admin: owner.is_admin,
    })
}

/// The caller of a key's hash (a console session keeps only the hash of its key).
pub async fn resolve_hash(state: &AppState, hash: [u8; 32]) -> Result<Caller, ApiError> {
    match resolve_cached(state, &hash) {
        Some(known) => known,
        None => lookup(state, hash).await,
    }
}

/// Middleware: every `/api/v1` route but the OpenAPI document, and every gateway route of
/// `/2024-03-01`, needs a key, checked before any extractor runs, so a bad key is a 401
/// whatever else is wrong with the request (a malformed id, a bad body). Source URLs (`/e/...`)
/// take no key. The caller is left in the request for the `Caller` extractor, and the key's
/// hash for the rate limits. Failed authentications are limited per client address: past the
/// limit an address gets 429, and its unknown keys are not looked up.
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path();
    let api = path.starts_with("/api/v1/") && path != "/api/v1/openapi.json";
    let gateway = path == crate::gateway::BASE || path.starts_with("/2024-03-01/");
    if !api && !gateway {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let limiter = req.app_data::<web::Data<RateLimiter>>().cloned();
    let addr = req.peer_addr().map(|a| a.ip());
    let hash = presented_key(req.request()).map(|k| hash_api_key(&k));
    let resolved = match hash.map(|h| (h, resolve_cached(&state, &h))) {
        None => Err(ApiError::unauthorized()),
        Some((_, Some(known))) => known,
        Some((hash, None)) => {
            let exhausted = limiter
                .as_ref()
                .zip(addr)
                .and_then(|(l, a)| l.auth_failures_exhausted(a));
            if let Some(v) = exhausted {
                let response = too_many(&v, "too many failed authentications");
                return Ok(req.into_response(response));
            }
            lookup(&state, hash).await
        }
    };
    match resolved {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            if let Some(hash) = hash {
                req.extensions_mut().insert(KeyIdentity(hash));
            }
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            let verdict = limiter.zip(addr).and_then(|(l, a)| l.auth_failure(a));
            let response = match verdict {
                Some(v) if !v.allowed => too_many(&v, "too many failed authentications"),
                _ => e.error_response(),
            };
            Ok(req.into_response(response))
        }
        Err(e) => {
            let response = e.error_response();
            Ok(req.into_response(response))
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(caller) = req.extensions().get::<Caller>().copied() {
            return Box::pin(async move { Ok(caller) });
        }
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = presented_key(req);
        Box::pin(async move {
            let state = state.ok_or_else(ApiError::unauthorized)?;
            resolve(&state, key).await
        })
    }
}

impl Caller {
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin {
            Ok(())
        } else {
            Err(ApiError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                "only the admin key may manage organizations",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn keys_are_prefixed_and_unique() {
        let (a, b) = (generate_api_key(), generate_api_key());
        assert!(a.starts_with("hk_") && a.len() > 40);
        assert_ne!(a, b);
        assert_ne!(hash_api_key(&a), hash_api_key(&b));
    }

    #[test]
    fn bearer_and_basic_both_carry_the_key() {
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, "Bearer abc"))
            .to_http_request();
        assert_eq!(presented_key(&req).as_deref(), Some("abc"));
        let basic = format!("Basic {}", STANDARD.encode("abc:"));
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, basic))
            .to_http_request();
        assert_eq!(presented_key(&req).as_deref(), Some("abc"));
        let req = TestRequest::default()
            .insert_header((AUTHORIZATION, "Bearer "))
            .to_http_request();
        assert_eq!(presented_key(&req), None);
        let req = TestRequest::default().to_http_request();
        assert_eq!(presented_key(&req), None);
    }
}
