//! Per-API-key rate limits: token buckets kept in memory by each ingest replica. Message sends
//! and management routes have separate limits; either can be off.

use crate::error::ApiError;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use hookd_config::RateLimitSettings;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    Ingest,
    Management,
}

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

    fn limits(&self, class: Class) -> Option<(f64, f64)> {
        let (rate, burst) = match class {
            Class::Ingest => (self.settings.ingest_per_second, self.settings.ingest_burst),
            Class::Management => (
                self.settings.management_per_second,
                self.settings.management_burst,
            ),
        };
        (rate > 0).then(|| (rate as f64, burst.max(rate) as f64))
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

/// The middleware: limits requests that carry a key under `/api/v1`. Unauthenticated requests
/// are answered 401 by the handlers and cost nothing here.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let limiter = req.app_data::<web::Data<RateLimiter>>().cloned();
    let key = req
        .headers()
        .get(AUTHORIZATION)
        .map(|v| -> [u8; 32] { Sha256::digest(v.as_bytes()).into() });
    let verdict = match (limiter, key) {
        // The gateway's management API shares a key's management budget.
        (Some(limiter), Some(key))
            if req.path().starts_with("/api/v1/") || req.path().starts_with("/2024-03-01/") =>
        {
            limiter.check(class_of(&req), key)
        }
        _ => None,
    };
    match verdict {
        Some(v) if !v.allowed => {
            let mut error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded")
                .with_data(serde_json::json!({ "limit": v.limit, "retry_after": v.reset_secs }));
            error.retry_after = Some(v.reset_secs);
            let mut response = error.error_response();
            set_headers(response.headers_mut(), &v);
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
}
