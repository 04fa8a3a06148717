//! The router's fan-out: one delivery per (message, endpoint), recorded for many messages in one
//! statement. A fifo endpoint's delivery is stored `waiting` in its lane (not leased, no job):
//! `lanes::promote` sends it when its turn comes.

use crate::lanes::Lane;
use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use hookd_domain::new_id;
use uuid::Uuid;

/// One message's fan-out, for `fan_out_many`.
#[derive(Debug, Clone)]
pub struct FanOut {
    pub message_id: Uuid,
    pub app_id: Uuid,
    pub event_type: String,
    pub endpoint_ids: Vec<Uuid>,
    /// Per endpoint (same order): its lane when it is a fifo endpoint, else `None`.
    pub lanes: Vec<Option<String>>,
    /// The W3C `traceparent` of the fan-out step, kept with each delivery so its retries
    /// continue the message's trace.
    pub traceparent: Option<String>,
}

/// What one message's fan-out created now (nothing when it had been routed before).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FannedOut {
    /// Unordered deliveries, leased: (delivery id, endpoint id), whose jobs to publish.
    pub jobs: Vec<(Uuid, Uuid)>,
    /// The lanes that got a waiting delivery, to promote.
    pub lanes: Vec<Lane>,
}

impl FannedOut {
    pub fn len(&self) -> usize {
        self.jobs.len() + self.lanes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `fan_out` for many messages in one statement (the router's batcher). Answers, per message,
/// the deliveries created now.
pub async fn fan_out_many(
    client: &Client,
    batch: &[FanOut],
    lease_until: DateTime<Utc>,
) -> Result<Vec<FannedOut>, DbError> {
    let mut ids = Vec::new();
    let mut messages = Vec::new();
    let mut endpoints = Vec::new();
    let mut apps = Vec::new();
    let mut types: Vec<&str> = Vec::new();
    let mut lanes: Vec<Option<&str>> = Vec::new();
    let mut traces: Vec<Option<&str>> = Vec::new();
    for f in batch {
        for (i, e) in f.endpoint_ids.iter().enumerate() {
            ids.push(new_id());
            messages.push(f.message_id);
            endpoints.push(*e);
            apps.push(f.app_id);
            types.push(&f.event_type);
            lanes.push(f.lanes.get(i).and_then(|l| l.as_deref()));
            traces.push(f.traceparent.as_deref());
        }
    }
    let all_messages: Vec<Uuid> = batch.iter().map(|f| f.message_id).collect();
    let statement = client.prepare_cached(FAN_OUT).await?;
    let rows = crate::kept_plan::query(
        client,
        &statement,
        &[
            &ids,
            &messages,
            &endpoints,
            &apps,
            &types,
            &lease_until,
            &all_messages,
            &lanes,
            &traces,
        ],
    )
    .await?;
    let mut created: std::collections::HashMap<Uuid, FannedOut> = Default::default();
    for r in &rows {
        let entry = created.entry(r.get(1)).or_default();
        match r.get::<_, Option<String>>(3) {
            Some(lane) => entry.lanes.push(Lane {
                endpoint_id: r.get(2),
                lane,
            }),
            None => entry.jobs.push((r.get(0), r.get(2))),
        }
    }
    Ok(batch
        .iter()
        .map(|f| created.remove(&f.message_id).unwrap_or_default())
        .collect())
}

/// Records the batch's deliveries and takes its messages out of the outbox. Its plan is kept
/// (`kept_plan`): every read is by a unique index, driven by the batch's rows.
pub(crate) const FAN_OUT: &str = "WITH d AS (
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[],
         $8::text[], $9::text[])
     AS d(id, message_id, endpoint_id, app_id, event_type, lane, traceparent)
  ), ins AS (
     INSERT INTO deliveries (id, message_id, endpoint_id, app_id, event_type,
         next_attempt_at, queued, lane, waiting, traceparent)
     SELECT d.id, d.message_id, d.endpoint_id, d.app_id, d.event_type,
         CASE WHEN d.lane IS NULL THEN $6::timestamptz END, d.lane IS NULL, d.lane,
         d.lane IS NOT NULL, d.traceparent
     FROM d WHERE EXISTS (SELECT 1 FROM endpoints n WHERE n.id = d.endpoint_id)
         AND EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id)
     ON CONFLICT (message_id, endpoint_id) DO NOTHING
     RETURNING id, message_id, endpoint_id, lane
  ), routed AS (
     -- Out of the outbox: the message row itself is never written by routing.
     DELETE FROM message_outbox WHERE id = ANY($7)
  )
  SELECT id, message_id, endpoint_id, lane FROM ins";
