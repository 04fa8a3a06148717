//! Event type schemas: message and task `data` must satisfy the schema of its event type.

use crate::error::ApiError;
use crate::state::{AppState, SchemaEntry};
use std::sync::Arc;
use uuid::Uuid;

/// The compiled schema of the app's event type (cached), if it has one.
async fn schema_for(
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
        Ok(et) => et
            .schema
            .and_then(|s| jsonschema::validator_for(&s).ok())
            .map(Arc::new),
        Err(hookd_db::DbError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    state.schemas.insert(key, entry.clone());
    Ok(entry)
}

/// 422 naming the first violations when `data` does not satisfy the event type's schema.
pub async fn check_data(
    state: &AppState,
    app_id: Uuid,
    event_type: &str,
    data: &serde_json::Value,
) -> Result<(), ApiError> {
    let Some(validator) = schema_for(state, app_id, event_type).await? else {
        return Ok(());
    };
    let errors: Vec<String> = validator
        .iter_errors(data)
        .take(10)
        .map(|e| format!("{}: {}", e.instance_path(), e))
        .collect();
    match errors.first() {
        None => Ok(()),
        Some(first) => Err(ApiError::invalid(format!(
            "data does not match the schema of {event_type}: {first}"
        ))
        .with_data(serde_json::json!({ "errors": errors }))),
    }
}
