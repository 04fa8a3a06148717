//! Checks an inbound request against its source's verification, as each provider signs.
//! Pure: headers, raw body and the clock in, yes or no out.

use actix_web::http::header::HeaderMap;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use subtle::ConstantTimeEq;

/// Signed timestamps older or newer than this are refused (replays).
const TOLERANCE_SECS: i64 = 300;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

fn config<'a>(configs: &'a Value, key: &str) -> &'a str {
    configs.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn same(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// HMAC of `message` keyed by `key` with the named algorithm.
fn hmac(algorithm: &str, key: &[u8], message: &[u8]) -> Vec<u8> {
    macro_rules! mac {
        ($d:ty) => {{
            let mut m = Hmac::<$d>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(message);
            m.finalize().into_bytes().to_vec()
        }};
    }
    match algorithm {
        "md5" => mac!(md5::Md5),
        "sha1" => mac!(sha1::Sha1),
        "sha512" => mac!(sha2::Sha512),
        _ => mac!(sha2::Sha256),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn fresh(timestamp: &str, now: i64) -> bool {
    timestamp
        .parse::<i64>()
        .is_ok_and(|t| (now - t).abs() <= TOLERANCE_SECS)
}

/// Whether the request passes verification `kind` (upper-case) with `configs`.
pub fn passes(kind: &str, configs: &Value, headers: &HeaderMap, body: &[u8], now: i64) -> bool {
    let secret = config(configs, "webhook_secret_key");
    match kind {
        "HMAC" => {
            let Some(given) = header(headers, config(configs, "header_key")) else {
                return false;
            };
            let mac = hmac(config(configs, "algorithm"), secret.as_bytes(), body);
            let expected = match config(configs, "encoding") {
                "hex" => hex(&mac),
                "base64url" => URL_SAFE.encode(&mac),
                _ => STANDARD.encode(&mac),
            };
            let unpadded = URL_SAFE_NO_PAD.encode(&mac);
            same(given.as_bytes(), expected.as_bytes())
                || (config(configs, "encoding") == "base64url"
                    && same(given.as_bytes(), unpadded.as_bytes()))
        }
        "BASIC_AUTH" => {
            let expected = format!(
                "{}:{}",
                config(configs, "username"),
                config(configs, "password")
            );
            header(headers, "authorization")
                .and_then(|v| {
                    v.strip_prefix("Basic ")
                        .or_else(|| v.strip_prefix("basic "))
                })
                .and_then(|b| STANDARD.decode(b.trim()).ok())
                .is_some_and(|given| same(&given, expected.as_bytes()))
        }
        "API_KEY" => header(headers, config(configs, "header_key"))
            .is_some_and(|given| same(given.as_bytes(), config(configs, "api_key").as_bytes())),
        "GITHUB" => header(headers, "x-hub-signature-256")
            .and_then(|v| v.strip_prefix("sha256="))
            .is_some_and(|given| {
                let expected = hex(&hmac("sha256", secret.as_bytes(), body));
                same(given.as_bytes(), expected.as_bytes())
            }),
        "SHOPIFY" => header(headers, "x-shopify-hmac-sha256").is_some_and(|given| {
            let expected = STANDARD.encode(hmac("sha256", secret.as_bytes(), body));
            same(given.as_bytes(), expected.as_bytes())
        }),
        "STRIPE" => header(headers, "stripe-signature").is_some_and(|value| {
            let mut timestamp = None;
            let mut signatures = Vec::new();
            for part in value.split(',') {
                match part.trim().split_once('=') {
                    Some(("t", t)) => timestamp = Some(t),
                    Some(("v1", s)) => signatures.push(s),
                    _ => {}
                }
            }
            let Some(t) = timestamp.filter(|t| fresh(t, now)) else {
                return false;
            };
            let mut signed = format!("{t}.").into_bytes();
            signed.extend_from_slice(body);
            let expected = hex(&hmac("sha256", secret.as_bytes(), &signed));
            signatures
                .iter()
                .any(|s| same(s.as_bytes(), expected.as_bytes()))
        }),
        "SVIX" => {
            // Standard Webhooks headers, or Svix's own names for them.
            let get = |name: &str| {
                header(headers, &format!("webhook-{name}"))
                    .or_else(|| header(headers, &format!("svix-{name}")))
            };
            match (get("id"), get("timestamp"), get("signature")) {
                (Some(id), Some(ts), Some(sig)) if fresh(ts, now) => {
                    hookd_signing::verify(secret, id, ts.parse().unwrap_or_default(), body, sig)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};
    use serde_json::json;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    const BODY: &[u8] = br#"{"id":1}"#;
    const NOW: i64 = 1_700_000_000;

    #[test]
    fn hmac_in_every_algorithm_and_encoding() {
        for algorithm in ["md5", "sha1", "sha256", "sha512"] {
            let mac = hmac(algorithm, b"k", BODY);
            for (encoding, value) in [
                ("hex", hex(&mac)),
                ("base64", STANDARD.encode(&mac)),
                ("base64url", URL_SAFE.encode(&mac)),
            ] {
                let c = json!({"webhook_secret_key": "k", "header_key": "x-sig",
                    "algorithm": algorithm, "encoding": encoding});
                assert!(passes(
                    "HMAC",
                    &c,
                    &headers(&[("x-sig", &value)]),
                    BODY,
                    NOW
                ));
                assert!(!passes(
                    "HMAC",
                    &c,
                    &headers(&[("x-sig", &value)]),
                    b"{}",
                    NOW
                ));
                assert!(!passes("HMAC", &c, &headers(&[]), BODY, NOW));
            }
        }
        // A known vector: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        assert_eq!(
            hex(&hmac(
                "sha256",
                b"key",
                b"The quick brown fox jumps over the lazy dog"
            )),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn providers_sign_their_own_way() {
        let c = json!({"webhook_secret_key": "s3cret"});
        let gh = format!("sha256={}", hex(&hmac("sha256", b"s3cret", BODY)));
        assert!(passes(
            "GITHUB",
            &c,
            &headers(&[("x-hub-signature-256", &gh)]),
            BODY,
            NOW
        ));
        assert!(!passes(
            "GITHUB",
            &c,
            &headers(&[("x-hub-signature-256", "sha256=00")]),
            BODY,
            NOW
        ));
        let shop = STANDARD.encode(hmac("sha256", b"s3cret", BODY));
        assert!(passes(
            "SHOPIFY",
            &c,
            &headers(&[("x-shopify-hmac-sha256", &shop)]),
            BODY,
            NOW
        ));
        let signed = [format!("{NOW}.").as_bytes(), BODY].concat();
        let v1 = hex(&hmac("sha256", b"s3cret", &signed));
        let stripe = format!("t={NOW},v1=bad,v1={v1}");
        assert!(passes(
            "STRIPE",
            &c,
            &headers(&[("stripe-signature", &stripe)]),
            BODY,
            NOW
        ));
        // Too old.
        assert!(!passes(
            "STRIPE",
            &c,
            &headers(&[("stripe-signature", &stripe)]),
            BODY,
            NOW + 301
        ));
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let key = hookd_signing::SigningKey::parse(secret).unwrap();
        let sig = key.sign("msg_1", NOW, BODY);
        let svix = json!({"webhook_secret_key": secret});
        let ts = NOW.to_string();
        let h = headers(&[
            ("svix-id", "msg_1"),
            ("svix-timestamp", &ts),
            ("svix-signature", &sig),
        ]);
        assert!(passes("SVIX", &svix, &h, BODY, NOW));
        assert!(!passes("SVIX", &svix, &h, BODY, NOW + 1000));
        assert!(!passes("SVIX", &svix, &h, b"other", NOW));
    }

    #[test]
    fn basic_auth_and_api_key() {
        let c = json!({"username": "u", "password": "p"});
        let good = format!("Basic {}", STANDARD.encode("u:p"));
        assert!(passes(
            "BASIC_AUTH",
            &c,
            &headers(&[("authorization", &good)]),
            BODY,
            NOW
        ));
        let bad = format!("Basic {}", STANDARD.encode("u:x"));
        assert!(!passes(
            "BASIC_AUTH",
            &c,
            &headers(&[("authorization", &bad)]),
            BODY,
            NOW
        ));
        let c = json!({"header_key": "x-api-key", "api_key": "abc"});
        assert!(passes(
            "API_KEY",
            &c,
            &headers(&[("x-api-key", "abc")]),
            BODY,
            NOW
        ));
        assert!(!passes(
            "API_KEY",
            &c,
            &headers(&[("x-api-key", "abd")]),
            BODY,
            NOW
        ));
    }
}
