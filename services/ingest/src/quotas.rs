//! Plan quotas at the API (issue 17): a message past the day's quota is a 429 until the next
//! UTC day, an app or endpoint past its quota a 422; both name the quota and its limit.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use hookd_db::quotas::{self, Quota};
use hookd_db::GenericClient;
use serde_json::json;
use uuid::Uuid;

/// Counts one message against the organization's messages-per-day quota, if it has one (read
/// through a short cache, so organizations without one pay nothing but a lookup in memory).
pub async fn take_message(state: &AppState, organization_id: Uuid) -> Result<(), ApiError> {
    let limit = match state.message_quotas.get(&organization_id) {
        Some(limit) => limit,
        None => {
            let client = state.client().await?;
            let limit = quotas::messages_per_day(&client, organization_id).await?;
            state.message_quotas.insert(organization_id, limit);
            limit
        }
    };
    let Some(limit) = limit else {
        return Ok(());
    };
    let client = state.client().await?;
    if quotas::take_message(&client, organization_id, limit).await? {
        return Ok(());
    }
    let now = chrono::Utc::now();
    let midnight = (now.date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("the messages_per_day quota ({limit}) is used up for today (UTC)"),
    )
    .with_data(json!({"quota": "messages_per_day", "limit": limit}));
    e.retry_after = Some((midnight - now).num_seconds().max(1) as u64);
    Err(e)
}

/// A 422 naming the quota when the organization has as many apps or endpoints as its plan
/// allows. Call it in the transaction that creates the row.
pub async fn check(
    client: &impl GenericClient,
    organization_id: Uuid,
    quota: Quota,
) -> Result<(), ApiError> {
    match quotas::full(client, organization_id, quota).await? {
        None => Ok(()),
        Some(limit) => Err(ApiError::invalid(format!(
            "the {} quota ({limit}) is reached",
            quota.name()
        ))
        .with_data(json!({"quota": quota.name(), "limit": limit}))),
    }
}
