//! When a gateway event's next automatic try is due after a failed one: the connection's
//! `retry` rule (GATEWAY.md, Connections), else the engine's retry schedule. Every recorder of
//! gateway tries (the delivery workers' batches, `hookctl listen`'s reports) records through
//! `record`, so the rule is applied in one place.

use super::dispatch::{EventState, Recorded, TryRecord};
use super::try_record;
use crate::DbError;
use serde_json::Value;
use std::time::Duration;

/// Records tries (`try_record::record_tries`), each failed one's next automatic try decided by
/// `next_try`; `schedule` is the engine's retry schedule, for connections without a rule.
pub async fn record(
    client: &mut crate::Client,
    tries: &[TryRecord],
    schedule: &[Duration],
) -> Result<Vec<Option<Recorded>>, DbError> {
    try_record::record_tries(client, tries, |t, state| {
        let status = t.response_status.and_then(|s| u16::try_from(s).ok());
        next_try(state, status, schedule)
            .map(|d| chrono::Utc::now() + chrono::Duration::from_std(d).unwrap_or_default())
    })
    .await
}

/// The delay before the next automatic try, or `None` for no more. `status` is the answer's
/// status (`None`: no answer, e.g. a timeout).
pub fn next_try(
    state: &EventState,
    status: Option<u16>,
    schedule: &[Duration],
) -> Option<Duration> {
    if state.muted {
        return None;
    }
    let rule = state
        .rules
        .as_array()
        .and_then(|rules| rules.iter().find(|r| r["type"].as_str() == Some("retry")));
    let Some(rule) = rule else {
        // The engine's schedule: entry 0 is the first try, entry n the delay before try n+1.
        return hookd_domain::next_delay(
            schedule,
            (state.automatic_tries + 1).max(1) as u32,
            None,
            Duration::ZERO,
        );
    };
    if let (Some(codes), Some(status)) = (rule["response_status_codes"].as_array(), status) {
        if !codes_match(codes, status) {
            return None;
        }
    }
    let count = rule["count"].as_i64().unwrap_or(0);
    if i64::from(state.automatic_tries) >= count {
        return None;
    }
    let interval = rule["interval"].as_u64().unwrap_or(100);
    // The automatic try to come is number n = tries made + 1.
    let n = (state.automatic_tries.max(0) as u32) + 1;
    let ms = match rule["strategy"].as_str() {
        Some("exponential") => interval.saturating_mul(1u64 << (n - 1).min(40)),
        _ => interval,
    };
    Some(Duration::from_millis(ms.min(30 * 24 * 3_600_000)))
}

/// Whether `status` is picked by codes like `["500-599", "!501", "429"]`: in some positive
/// entry (or there is none) and in no negated one.
pub fn codes_match(codes: &[Value], status: u16) -> bool {
    let within = |spec: &str| {
        let parse = |s: &str| s.trim().parse::<u16>().ok();
        match spec.split_once('-') {
            Some((a, b)) => {
                matches!((parse(a), parse(b)), (Some(a), Some(b)) if (a..=b).contains(&status))
            }
            None => parse(spec) == Some(status),
        }
    };
    let specs: Vec<&str> = codes.iter().filter_map(Value::as_str).collect();
    let (negated, positive): (Vec<&str>, Vec<&str>) =
        specs.iter().partition(|s| s.starts_with('!'));
    let excluded = negated.iter().any(|s| within(&s[1..]));
    let included = positive.is_empty() || positive.iter().any(|s| within(s));
    included && !excluded
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(rules: Value, tries: i32) -> EventState {
        EventState {
            automatic_tries: tries,
            muted: false,
            rules,
        }
    }

    #[test]
    fn linear_and_exponential_rules_count_automatic_tries() {
        let linear = json!([{"type": "retry", "strategy": "linear", "count": 2, "interval": 100}]);
        assert_eq!(
            next_try(&state(linear.clone(), 0), Some(500), &[]),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            next_try(&state(linear.clone(), 1), Some(500), &[]),
            Some(Duration::from_millis(100))
        );
        assert_eq!(next_try(&state(linear, 2), Some(500), &[]), None);
        let exp =
            json!([{"type": "retry", "strategy": "exponential", "count": 5, "interval": 100}]);
        assert_eq!(
            next_try(&state(exp.clone(), 0), None, &[]),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            next_try(&state(exp, 2), None, &[]),
            Some(Duration::from_millis(400))
        );
    }

    #[test]
    fn status_codes_pick_what_retries() {
        let codes = [json!("500-599"), json!("!501")];
        assert!(codes_match(&codes, 500));
        assert!(!codes_match(&codes, 501));
        assert!(!codes_match(&codes, 404));
        assert!(codes_match(&[json!("!404")], 500));
        let rule = json!([{"type": "retry", "strategy": "linear", "count": 3, "interval": 100,
            "response_status_codes": ["500-599", "!501"]}]);
        assert_eq!(next_try(&state(rule.clone(), 0), Some(501), &[]), None);
        assert!(next_try(&state(rule, 0), Some(503), &[]).is_some());
    }

    #[test]
    fn without_a_rule_the_schedule_applies_and_muted_events_stop() {
        let schedule = [Duration::ZERO, Duration::from_secs(1)];
        assert!(next_try(&state(json!([]), 0), Some(500), &schedule).is_some());
        assert_eq!(next_try(&state(json!([]), 1), Some(500), &schedule), None);
        let mut muted = state(json!([]), 0);
        muted.muted = true;
        assert_eq!(next_try(&muted, Some(500), &schedule), None);
    }
}
