//! What one connection makes of an accepted request (GATEWAY.md, Inbound 4): a pure function
//! of the connection and the request, so it is tested without a database.

use chrono::{DateTime, Utc};
use hookd_db::gateway::routing::{ConnectionRoute, Outcome};
use hookd_filter::{RequestFilter, RequestParts};
use serde_json::{json, Value};
use uuid::Uuid;

/// The rule of `kind` among a connection's rules.
pub fn rule<'a>(rules: &'a Value, kind: &str) -> Option<&'a serde_json::Map<String, Value>> {
    rules
        .as_array()?
        .iter()
        .filter_map(Value::as_object)
        .find(|r| r.get("type").and_then(Value::as_str) == Some(kind))
}

/// The parts of a stored request (`data`) a filter looks at.
pub fn parts(data: &Value) -> RequestParts<'_> {
    RequestParts {
        body: &data["body"],
        headers: &data["headers"],
        query: &data["parsed_query"],
        path: data["path"].as_str().unwrap_or("/"),
    }
}

/// Ignored (disabled, filtered) or an event: held if paused, scheduled if delayed, else queued
/// with a lease until `lease_until` (the router publishes its job at once).
pub fn decide(
    c: &ConnectionRoute,
    filter: Option<&RequestFilter>,
    data: &Value,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Outcome {
    if c.disabled || c.destination.disabled {
        return Outcome::Ignored {
            connection_id: Some(c.id),
            cause: "DISABLED",
            meta: None,
        };
    }
    if let Some(filter) = filter {
        if let Err(part) = filter.check(&parts(data)) {
            return Outcome::Ignored {
                connection_id: Some(c.id),
                cause: "FILTERED",
                meta: Some(json!({ "part": part })),
            };
        }
    }
    let delay_ms = rule(&c.rules, "delay")
        .and_then(|r| r.get("delay"))
        .and_then(Value::as_i64)
        .filter(|ms| *ms > 0);
    let (status, next_attempt_at) = if c.paused {
        ("HOLD", None)
    } else if let Some(ms) = delay_ms {
        ("SCHEDULED", Some(now + chrono::Duration::milliseconds(ms)))
    } else {
        ("QUEUED", Some(lease_until))
    };
    Outcome::Event {
        id: hookd_domain::new_id(),
        connection_id: c.id,
        destination_id: c.destination.id,
        status,
        next_attempt_at,
    }
}

/// The outcome of a request whose source has no connection.
pub fn no_connection() -> Outcome {
    Outcome::Ignored {
        connection_id: None::<Uuid>,
        cause: "NO_CONNECTION",
        meta: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookd_db::gateway::routing::DestinationRoute;

    fn connection(rules: Value, paused: bool, disabled: bool) -> ConnectionRoute {
        ConnectionRoute {
            id: Uuid::now_v7(),
            source_id: Uuid::now_v7(),
            rules,
            disabled,
            paused,
            destination: DestinationRoute {
                id: Uuid::now_v7(),
                url: Some("http://d".into()),
                http_method: None,
                path_forwarding_disabled: false,
                rate_limit: None,
                rate_limit_period: None,
                disabled: false,
                revision: 0,
            },
        }
    }

    fn status(o: &Outcome) -> &str {
        match o {
            Outcome::Ignored { cause, .. } => cause,
            Outcome::Event { status, .. } => status,
        }
    }

    #[test]
    fn each_rule_and_flag_decides() {
        let now = Utc::now();
        let data = json!({"body": {"n": 5}, "headers": {}, "parsed_query": {}, "path": "/"});
        let d = |c: &ConnectionRoute| {
            let filter = rule(&c.rules, "filter").map(|r| RequestFilter::parse(r).unwrap());
            decide(c, filter.as_ref(), &data, now, now)
        };
        assert_eq!(status(&d(&connection(json!([]), false, false))), "QUEUED");
        assert_eq!(status(&d(&connection(json!([]), true, false))), "HOLD");
        assert_eq!(status(&d(&connection(json!([]), false, true))), "DISABLED");
        let delayed = d(&connection(
            json!([{"type": "delay", "delay": 1000}]),
            false,
            false,
        ));
        assert!(
            matches!(delayed, Outcome::Event { status: "SCHEDULED", next_attempt_at: Some(at), .. } if at > now)
        );
        let filtered = d(&connection(
            json!([{"type": "filter", "body": {"n": {"$gt": 9}}}]),
            false,
            false,
        ));
        assert_eq!(
            filtered,
            Outcome::Ignored {
                connection_id: match &filtered {
                    Outcome::Ignored { connection_id, .. } => *connection_id,
                    _ => None,
                },
                cause: "FILTERED",
                meta: Some(json!({"part": "body"})),
            }
        );
        let passes = d(&connection(
            json!([{"type": "filter", "body": {"n": {"$lt": 9}}}]),
            false,
            false,
        ));
        assert_eq!(status(&passes), "QUEUED");
    }
}
