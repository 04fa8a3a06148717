//! Endpoint payload filters at fan-out (issue 18): the view holds each endpoint's filter parsed;
//! here a message is matched against them, its payload parsed once and only when a matching
//! endpoint has a filter.

use hookd_bus::envelopes::MessageAccepted;
use hookd_db::routing::Route;
use hookd_filter::message_input;
use serde_json::Value;
use std::sync::Arc;

/// The targets whose filter passes the message, and how many a filter left out.
pub fn passing(targets: Vec<Arc<Route>>, envelope: &MessageAccepted) -> (Vec<Arc<Route>>, usize) {
    if targets.iter().all(|r| r.filter.is_none()) {
        return (targets, 0);
    }
    let input = filter_input(envelope);
    let before = targets.len();
    let kept: Vec<_> = targets
        .into_iter()
        .filter(|r| r.filter_passes(input.as_ref()))
        .collect();
    let left_out = before - kept.len();
    (kept, left_out)
}

/// `{event_type, version, data}` of a message; `None` (logged) when its payload is not the
/// JSON body ingest renders, which no filter can pass then.
fn filter_input(envelope: &MessageAccepted) -> Option<Value> {
    match serde_json::from_slice::<Value>(&envelope.payload) {
        Ok(Value::Object(mut body)) => Some(message_input(
            &envelope.event_type,
            &envelope.version,
            body.remove("data").unwrap_or(Value::Null),
        )),
        Ok(_) => {
            tracing::error!(message_id = %envelope.message_id,
                "message payload is not a JSON object; filtered endpoints do not get it");
            None
        }
        Err(e) => {
            tracing::error!(message_id = %envelope.message_id, error = %e,
                "message payload is not a JSON body; filtered endpoints do not get it");
            None
        }
    }
}
