//! Event type schemas: message and task `data` must satisfy the schema of its event type for
//! its version (`schemas[version]`), else the event type's default `schema`.

use crate::error::ApiError;
use crate::state::{AppState, SchemaEntry};
use hookd_domain::EventType;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// An event type's schemas, compiled once per cache fill.
pub struct Compiled {
    default: Option<jsonschema::Validator>,
    by_version: HashMap<String, jsonschema::Validator>,
}

impl Compiled {
    /// `None` when the event type has no schema at all. The API stores only schemas that
    /// compile; one that no longer does is skipped as before.
    fn of(et: EventType) -> Option<Self> {
        let compile = |s: &serde_json::Value| jsonschema::validator_for(s).ok();
        let compiled = Self {
            default: et.schema.as_ref().and_then(compile),
            by_version: et
                .schemas
                .iter()
                .filter_map(|(v, s)| Some((v.clone(), compile(s)?)))
                .collect(),
        };
        (compiled.default.is_some() || !compiled.by_version.is_empty()).then_some(compiled)
    }

    /// The schema a message of `version` must satisfy, and whether it is a per-version one.
    fn for_version(&self, version: &str) -> Option<(&jsonschema::Validator, bool)> {
        match self.by_version.get(version) {
            Some(v) => Some((v, true)),
            None => self.default.as_ref().map(|v| (v, false)),
        }
    }
}

/// The compiled schemas of the app's event type (cached), if it has any.
async fn schemas_for(
    state: &AppState,
    app_id: Uuid,
    event_type: &str,
) -> Result<SchemaEntry, ApiError> {
    let key = (app_id, event_type.to_owned());
    if let Some(entry) = state.schemas.get(&key) {
        return Ok(entry);
    }
    let client = state.client().await?;
    let entry = match hookd_db::event_types::get(&client, app_id, event_type).await {
        Ok(et) => Compiled::of(et).map(Arc::new),
        Err(hookd_db::DbError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    state.schemas.insert(key, entry.clone());
    Ok(entry)
}

/// 422 naming the first violations (and the version, when its own schema applied) when `data`
/// does not satisfy the event type's schema for `version`.
pub async fn check_data(
    state: &AppState,
    app_id: Uuid,
    event_type: &str,
    version: &str,
    data: &serde_json::Value,
) -> Result<(), ApiError> {
    let Some(compiled) = schemas_for(state, app_id, event_type).await? else {
        return Ok(());
    };
    let Some((validator, versioned)) = compiled.for_version(version) else {
        return Ok(());
    };
    let errors: Vec<String> = validator
        .iter_errors(data)
        .take(10)
        .map(|e| format!("{}: {}", e.instance_path(), e))
        .collect();
    let Some(first) = errors.first() else {
        return Ok(());
    };
    let message = if versioned {
        format!("data does not match the schema of {event_type} version {version}: {first}")
    } else {
        format!("data does not match the schema of {event_type}: {first}")
    };
    let mut data = serde_json::json!({ "errors": errors });
    if versioned {
        data["version"] = serde_json::json!(version);
    }
    Err(ApiError::invalid(message).with_data(data))
}
