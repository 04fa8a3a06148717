//! A destination's `auth_method {type, config}`: how hookd proves itself to the destination.
//! Configs hold credentials: sealed at rest.

use crate::error::ApiError;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AuthMethodInput {
    /// HOOKDECK_SIGNATURE (default), BASIC_AUTH, API_KEY or BEARER_TOKEN.
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub config: Option<Map<String, Value>>,
}

/// A checked auth method: type and config with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthMethod {
    pub kind: String,
    pub config: Map<String, Value>,
}

pub const DEFAULT: &str = "HOOKDECK_SIGNATURE";
const TYPES: &[&str] = &[DEFAULT, "BASIC_AUTH", "API_KEY", "BEARER_TOKEN"];

impl AuthMethodInput {
    pub fn check(&self) -> Result<AuthMethod, ApiError> {
        let kind = self.kind.to_ascii_uppercase();
        if !TYPES.contains(&kind.as_str()) {
            return Err(ApiError::invalid(format!(
                "auth_method.type must be one of {}",
                TYPES.join(", ")
            )));
        }
        let given = self.config.clone().unwrap_or_default();
        let text = |key: &str| -> Result<String, ApiError> {
            match given.get(key) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                _ => Err(ApiError::invalid(format!(
                    "auth_method.config.{key} is required for {kind}"
                ))),
            }
        };
        let config = match kind.as_str() {
            "BASIC_AUTH" => json!({"username": text("username")?, "password": text("password")?}),
            "API_KEY" => {
                let to = match given.get("to") {
                    None | Some(Value::Null) => "header".to_owned(),
                    Some(Value::String(s)) if s == "header" || s == "query" => s.clone(),
                    _ => {
                        return Err(ApiError::invalid(
                            "auth_method.config.to must be header or query",
                        ))
                    }
                };
                let key = text("key")?;
                if to == "header"
                    && actix_web::http::header::HeaderName::try_from(key.as_str()).is_err()
                {
                    return Err(ApiError::invalid(
                        "auth_method.config.key must be a header name",
                    ));
                }
                json!({"key": key, "api_key": text("api_key")?, "to": to})
            }
            "BEARER_TOKEN" => json!({"token": text("token")?}),
            _ => json!({}),
        };
        let Value::Object(config) = config else {
            unreachable!("json! of an object")
        };
        Ok(AuthMethod { kind, config })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: &str, config: Value) -> AuthMethodInput {
        AuthMethodInput {
            kind: kind.into(),
            config: config.as_object().cloned(),
        }
    }

    #[test]
    fn each_type_needs_its_credentials() {
        assert_eq!(
            input("hookdeck_signature", json!(null))
                .check()
                .unwrap()
                .kind,
            DEFAULT
        );
        let a = input("API_KEY", json!({"key": "x-api-key", "api_key": "s"}))
            .check()
            .unwrap();
        assert_eq!(a.config["to"], "header");
        assert!(input("BEARER_TOKEN", json!({"token": "t"})).check().is_ok());
        for (kind, config) in [
            ("OAUTH2", json!({})),
            ("BASIC_AUTH", json!({"username": "u"})),
            ("API_KEY", json!({"key": "k", "api_key": "s", "to": "body"})),
            ("BEARER_TOKEN", json!({})),
        ] {
            assert_eq!(
                input(kind, config).check().unwrap_err().status.as_u16(),
                422,
                "{kind}"
            );
        }
    }
}
