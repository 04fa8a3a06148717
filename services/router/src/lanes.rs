//! Fifo endpoints at fan-out (issue 18): each fifo target's lane for a message, and the sweep
//! that moves on lanes a crash or a late-routed message left waiting (the backstop of the
//! promotions that the fan-out and the delivery workers do themselves).

use crate::metrics::RouterMetrics;
use hookd_bus::envelopes::MessageAccepted;
use hookd_bus::Publisher;
use hookd_db::routing::Route;
use hookd_db::{DbError, Pool};
use hookd_service::JobBudget;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Per target (same order), its lane for this message when it is a fifo endpoint. The payload
/// is parsed only when a fifo target has a key.
pub fn lanes_for(targets: &[Arc<Route>], envelope: &MessageAccepted) -> Vec<Option<String>> {
    let keyed = targets
        .iter()
        .any(|r| r.fifo.as_ref().is_some_and(|f| f.key.is_some()));
    let data = keyed.then(|| message_data(envelope)).flatten();
    targets
        .iter()
        .map(|r| r.fifo.as_ref().map(|f| f.lane(data.as_ref())))
        .collect()
}

/// The message's `data`; `None` (logged) when the payload is not the JSON body ingest renders,
/// which puts it in the shared lane.
fn message_data(envelope: &MessageAccepted) -> Option<Value> {
    match serde_json::from_slice::<Value>(&envelope.payload) {
        Ok(Value::Object(mut body)) => body.remove("data"),
        _ => {
            tracing::error!(message_id = %envelope.message_id,
                "message payload is not a JSON object; fifo endpoints put it in their shared lane");
            None
        }
    }
}

/// Lanes the sweep looks at per pass.
const SWEEP_BATCH: i64 = 500;

/// One sweep pass: promotes the next delivery of every lane with none in flight and publishes
/// its job. `Ok(true)` when there may be more lanes than one pass took.
pub async fn sweep_once(
    pool: &Pool,
    publisher: &Publisher,
    budget: &JobBudget,
    lease: Duration,
    metrics: &RouterMetrics,
) -> Result<bool, DbError> {
    let stalled = {
        let client = pool.get().await?;
        hookd_db::lanes::stalled(&client, SWEEP_BATCH).await?
    };
    let found = stalled.len();
    if found == 0 {
        return Ok(false);
    }
    let published =
        hookd_service::advance_lanes(pool, publisher, Some(budget), stalled, lease).await?;
    metrics.lanes_swept.inc_by(published as u64);
    if published > 0 {
        tracing::info!(
            lanes = found,
            published,
            "lane sweep promoted waiting deliveries"
        );
    }
    Ok(found as i64 == SWEEP_BATCH && published > 0)
}
