//! The router's fan-out of messages into deliveries, batched across messages.

use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use hookd_domain::new_id;
use uuid::Uuid;

/// One message's fan-out, for `fan_out_many`.
#[derive(Debug, Clone)]
pub struct FanOut {
    pub message_id: Uuid,
    pub app_id: Uuid,
    pub event_type: String,
    pub endpoint_ids: Vec<Uuid>,
    /// The W3C `traceparent` of the fan-out step, kept with each delivery so its retries
    /// continue the message's trace.
    pub traceparent: Option<String>,
}

/// `fan_out` for many messages in one statement (the router's batcher). Answers, per message,
/// the deliveries created now.
pub async fn fan_out_many(
    client: &impl GenericClient,
    batch: &[FanOut],
    lease_until: DateTime<Utc>,
) -> Result<Vec<Vec<(Uuid, Uuid)>>, DbError> {
    let mut ids = Vec::new();
    let mut messages = Vec::new();
    let mut endpoints = Vec::new();
    let mut apps = Vec::new();
    let mut types: Vec<&str> = Vec::new();
    let mut traces: Vec<Option<&str>> = Vec::new();
    for f in batch {
        for e in &f.endpoint_ids {
            ids.push(new_id());
            messages.push(f.message_id);
            endpoints.push(*e);
            apps.push(f.app_id);
            types.push(&f.event_type);
            traces.push(f.traceparent.as_deref());
        }
    }
    let all_messages: Vec<Uuid> = batch.iter().map(|f| f.message_id).collect();
    let rows = client
        .query(
            "WITH d AS (
                SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[],
                    $8::text[])
                AS d(id, message_id, endpoint_id, app_id, event_type, traceparent)
             ), ins AS (
                INSERT INTO deliveries (id, message_id, endpoint_id, app_id, event_type,
                    next_attempt_at, queued, traceparent)
                SELECT d.id, d.message_id, d.endpoint_id, d.app_id, d.event_type, $6, true,
                    d.traceparent
                FROM d WHERE EXISTS (SELECT 1 FROM endpoints n WHERE n.id = d.endpoint_id)
                    AND EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id)
                ON CONFLICT (message_id, endpoint_id) DO NOTHING
                RETURNING id, message_id, endpoint_id
             ), routed AS (
                UPDATE messages SET routed_at = now() WHERE id = ANY($7) AND routed_at IS NULL
             )
             SELECT id, message_id, endpoint_id FROM ins",
            &[
                &ids,
                &messages,
                &endpoints,
                &apps,
                &types,
                &lease_until,
                &all_messages,
                &traces,
            ],
        )
        .await?;
    let mut created: std::collections::HashMap<Uuid, Vec<(Uuid, Uuid)>> = Default::default();
    for r in &rows {
        created
            .entry(r.get(1))
            .or_default()
            .push((r.get(0), r.get(2)));
    }
    Ok(batch
        .iter()
        .map(|f| created.remove(&f.message_id).unwrap_or_default())
        .collect())
}
