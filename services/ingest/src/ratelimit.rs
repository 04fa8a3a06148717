//! Per-API-key rate limits: token buckets kept in memory by each ingest replica. Message sends
//! and management routes have separate limits; either can be off. Buckets are keyed by the
//! authenticated key (the hash of the key itself, however the request spelled it), so this runs
//! after authentication; failed authentications have their own limit per client address.

use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};
use hookd_config::RateLimitSettings;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    Ingest,
    Management,
    /// Failed authentications of one client address.
    AuthFailure,
}

/// The authenticated key of a request (the hash of the key), left by authentication for the
/// limits.
#[derive(Debug, Clone, Copy)]
pub struct KeyIdentity(pub [u8; 32]);

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// What one check decided.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until a request would be allowed again (denied), or until the bucket is full.
    pub reset_secs: u64,
}

pub struct RateLimiter {
    settings: RateLimitSettings,
    buckets: Mutex<HashMap<(Class, [u8; 32]), Bucket>>,
}

impl RateLimiter {
    pub fn new(settings: RateLimitSettings) -> Self {
        Self {
            settings,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// (tokens per second, burst) of a class; `None` when it is unlimited.
    fn limits(&self, class: Class) -> Option<(f64, f64)> {
        let s = &self.settings;
        let (rate, burst) = match class {
            Class::Ingest => (s.ingest_per_second as f64, s.ingest_burst),
            Class::Management => (s.management_per_second as f64, s.management_burst),
            Class::AuthFailure => (s.failed_auth_per_minute as f64 / 60.0, s.failed_auth_burst),
        };
        (rate > 0.0).then(|| (rate, (burst as f64).max(rate).max(1.0)))
    }

    /// Whether `addr` has used up its failed authentications (without taking a token): such an
    /// address gets 429 before any key lookup.
    pub fn auth_failures_exhausted(&self, addr: IpAddr) -> Option<Verdict> {
        let (rate, _) = self.limits(Class::AuthFailure)?;
        let key = address_key(addr);
        let now = Instant::now();
        let buckets = self.buckets.lock().expect("rate limit lock");
        let bucket = buckets.get(&(Class::AuthFailure, key))?;
        let tokens = bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate;
        (tokens < 1.0).then(|| Verdict {
            allowed: false,
            limit: self.limits(Class::AuthFailure).map_or(0, |(_, b)| b as u32),
            remaining: 0,
            reset_secs: ((1.0 - tokens) / rate).ceil().max(1.0) as u64,
        })
    }

    /// Counts one failed authentication of `addr`; `None` when that is unlimited.
    pub fn auth_failure(&self, addr: IpAddr) -> Option<Verdict> {
        self.check(Class::AuthFailure, address_key(addr))
    }

    /// Takes one token from the key's bucket of this class; `None` when the class is unlimited.
    fn check(&self, class: Class, key: [u8; 32]) -> Option<Verdict> {
        let (rate, burst) = self.limits(class)?;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate limit lock");
        if buckets.len() > 100_000 {
            // Forget buckets that have refilled: they hold no state worth keeping.
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry((class, key)).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(burst);
        bucket.at = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let reset = if allowed {
            (burst - bucket.tokens) / rate
        } else {
            (1.0 - bucket.tokens) / rate
        };
        Some(Verdict {
            allowed,
            limit: burst as u32,
            remaining: bucket.tokens.floor().max(0.0) as u32,
            reset_secs: reset.ceil().max(1.0) as u64,
        })
    }
}

fn address_key(addr: IpAddr) -> [u8; 32] {
    let mut key = [0u8; 32];
    match addr {
        IpAddr::V4(a) => key[..4].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => key[..16].copy_from_slice(&a.octets()),
    }
    key[31] = u8::from(addr.is_ipv6());
    key
}

/// The 429 of a refused request, in the API's error format (which the gateway shares).
pub fn too_many(v: &Verdict, message: &str) -> actix_web::HttpResponse {
    let mut error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, message)
        .with_data(serde_json::json!({ "limit": v.limit, "retry_after": v.reset_secs }));
    error.retry_after = Some(v.reset_secs);
    let mut response = error.error_response();
    set_headers(response.headers_mut(), v);
    response
}

fn class_of(req: &ServiceRequest) -> Class {
    if req.method() == Method::POST && req.path().ends_with("/messages") {
        Class::Ingest
    } else {
        Class::Management
    }
}

fn set_headers(headers: &mut actix_web::http::header::HeaderMap, v: &Verdict) {
    for (name, value) in [
        ("x-ratelimit-limit", v.limit.to_string()),
        ("x-ratelimit-remaining", v.remaining.to_string()),
        ("x-ratelimit-reset", v.reset_secs.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

/// The middleware, inside authentication: limits requests whose key authentication accepted
/// (`/api/v1` and the gateway API, which shares a key's management budget). Failed
/// authentications are limited by authentication itself, per address.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let limiter = req.app_data::<web::Data<RateLimiter>>().cloned();
    let key = req.extensions().get::<KeyIdentity>().copied();
    let verdict = match (limiter, key) {
        (Some(limiter), Some(KeyIdentity(key))) => limiter.check(class_of(&req), key),
        _ => None,
    };
    match verdict {
        Some(v) if !v.allowed => {
            let response = too_many(&v, "rate limit exceeded");
            Ok(req.into_response(response))
        }
        Some(v) => {
            let mut response = next.call(req).await?.map_into_boxed_body();
            set_headers(response.headers_mut(), &v);
            Ok(response)
        }
        None => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rate: u32, burst: u32) -> RateLimiter {
        RateLimiter::new(RateLimitSettings {
            ingest_per_second: 0,
            ingest_burst: 0,
            management_per_second: rate,
            management_burst: burst,
            failed_auth_per_minute: 60,
            failed_auth_burst: 2,
        })
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refuses() {
        let l = limiter(1, 3);
        let key = [1u8; 32];
        for remaining in [2, 1, 0] {
            let v = l.check(Class::Management, key).unwrap();
            assert!(v.allowed);
            assert_eq!(v.remaining, remaining);
        }
        let v = l.check(Class::Management, key).unwrap();
        assert!(!v.allowed);
        assert_eq!(v.reset_secs, 1);
        // Another key has its own bucket; an unlimited class is not counted.
        assert!(l.check(Class::Management, [2u8; 32]).unwrap().allowed);
        assert!(l.check(Class::Ingest, key).is_none());
    }

    #[test]
    fn an_address_is_refused_once_its_failures_are_used_up() {
        let l = limiter(1, 3);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "::1".parse().unwrap());
        assert!(l.auth_failures_exhausted(a).is_none());
        assert!(l.auth_failure(a).unwrap().allowed);
        assert!(l.auth_failure(a).unwrap().allowed);
        assert!(l.auth_failures_exhausted(a).is_some());
        assert!(!l.auth_failure(a).unwrap().allowed);
        assert!(l.auth_failures_exhausted(b).is_none());
    }
}
