//! A source's `verification {type, configs}`: which types exist and what each config needs.
//! Configs hold secrets: they are sealed at rest and shown only on request.

use crate::error::ApiError;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// How requests at a source URL prove where they come from.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct VerificationInput {
    /// HMAC, BASIC_AUTH, API_KEY, GITHUB, SHOPIFY, STRIPE or SVIX (any case).
    #[serde(rename = "type")]
    pub kind: String,
    /// The type's settings, e.g. `{"webhook_secret_key": "..."}`.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub configs: Option<Map<String, Value>>,
}

/// A checked verification: its type, upper-case, and its configs with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub kind: String,
    pub configs: Map<String, Value>,
}

pub const TYPES: &[&str] = &[
    "HMAC",
    "BASIC_AUTH",
    "API_KEY",
    "GITHUB",
    "SHOPIFY",
    "STRIPE",
    "SVIX",
];

impl VerificationInput {
    pub fn check(&self) -> Result<Verification, ApiError> {
        let kind = self.kind.to_ascii_uppercase();
        if !TYPES.contains(&kind.as_str()) {
            return Err(ApiError::invalid(format!(
                "verification.type must be one of {}",
                TYPES.join(", ")
            )));
        }
        let given = self.configs.clone().unwrap_or_default();
        let text = |key: &str| -> Result<String, ApiError> {
            match given.get(key) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                _ => Err(ApiError::invalid(format!(
                    "verification.configs.{key} is required for {kind}"
                ))),
            }
        };
        let one_of = |key: &str, allowed: &[&str], default: &str| -> Result<String, ApiError> {
            match given.get(key) {
                None | Some(Value::Null) => Ok(default.to_owned()),
                Some(Value::String(s)) if allowed.contains(&s.to_ascii_lowercase().as_str()) => {
                    Ok(s.to_ascii_lowercase())
                }
                _ => Err(ApiError::invalid(format!(
                    "verification.configs.{key} must be one of {}",
                    allowed.join(", ")
                ))),
            }
        };
        let configs = match kind.as_str() {
            "HMAC" => json!({
                "webhook_secret_key": text("webhook_secret_key")?,
                "algorithm": one_of("algorithm", &["md5", "sha1", "sha256", "sha512"], "sha256")?,
                "header_key": text("header_key")?,
                "encoding": one_of("encoding", &["base64", "base64url", "hex"], "base64")?,
            }),
            "BASIC_AUTH" => json!({"username": text("username")?, "password": text("password")?}),
            "API_KEY" => json!({"header_key": text("header_key")?, "api_key": text("api_key")?}),
            _ => json!({"webhook_secret_key": text("webhook_secret_key")?}),
        };
        let Value::Object(configs) = configs else {
            unreachable!("json! of an object")
        };
        Ok(Verification { kind, configs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: &str, configs: Value) -> VerificationInput {
        VerificationInput {
            kind: kind.into(),
            configs: configs.as_object().cloned(),
        }
    }

    #[test]
    fn types_are_case_insensitive_and_configs_get_defaults() {
        let v = input(
            "hmac",
            json!({"webhook_secret_key": "k", "header_key": "x-sig"}),
        )
        .check()
        .unwrap();
        assert_eq!(v.kind, "HMAC");
        assert_eq!(v.configs["algorithm"], "sha256");
        assert_eq!(v.configs["encoding"], "base64");
        let v = input("Stripe", json!({"webhook_secret_key": "whsec_x"}))
            .check()
            .unwrap();
        assert_eq!(v.kind, "STRIPE");
    }

    #[test]
    fn unknown_types_and_missing_configs_are_422() {
        for (kind, configs) in [
            ("PAYPAL", json!({})),
            ("HMAC", json!({"webhook_secret_key": "k"})),
            (
                "HMAC",
                json!({"webhook_secret_key": "k", "header_key": "h", "algorithm": "crc"}),
            ),
            ("BASIC_AUTH", json!({"username": "u"})),
            ("API_KEY", json!({"header_key": "h", "api_key": 5})),
            ("GITHUB", json!({})),
        ] {
            let e = input(kind, configs.clone()).check().unwrap_err();
            assert_eq!(e.status.as_u16(), 422, "{kind} {configs}");
        }
    }
}
