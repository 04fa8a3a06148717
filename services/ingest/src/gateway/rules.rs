//! A connection's rules (`retry`, `filter`, `delay`; `transform` is not supported), checked on
//! the way in and stored as given.

use crate::error::ApiError;
use hookd_filter::RequestFilter;
use serde_json::{Map, Value};

/// Checks a rules array: one rule per type, each valid. Returns the rules to store.
pub fn check(rules: &[Map<String, Value>]) -> Result<Value, ApiError> {
    let mut seen: Vec<&str> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let kind = rule.get("type").and_then(Value::as_str).ok_or_else(|| {
            ApiError::invalid(format!("rules.{i}.type is required (retry, filter, delay)"))
        })?;
        if seen.contains(&kind) {
            return Err(ApiError::invalid(format!("rules: only one {kind} rule")));
        }
        seen.push(kind);
        let at = |key: &str| format!("rules.{i}.{key}");
        match kind {
            "retry" => check_retry(rule, &at)?,
            "filter" => {
                RequestFilter::parse(rule).map_err(|e| {
                    ApiError::invalid(format!("rules.{i}.{e}"))
                        .with_data(serde_json::json!({"path": e.path, "problem": e.message}))
                })?;
            }
            "delay" => {
                let ms = rule.get("delay").and_then(Value::as_i64);
                if !ms.is_some_and(|ms| (0..=30 * 24 * 3_600_000).contains(&ms)) {
                    return Err(ApiError::invalid(format!(
                        "{} must be a delay in milliseconds (at most 30 days)",
                        at("delay")
                    )));
                }
            }
            "transform" => return Err(ApiError::invalid("transformations are not supported")),
            other => {
                return Err(ApiError::invalid(format!(
                    "{}: unknown rule type `{other}` (retry, filter, delay)",
                    at("type")
                )))
            }
        }
    }
    Ok(Value::Array(
        rules.iter().cloned().map(Value::Object).collect(),
    ))
}

fn check_retry(rule: &Map<String, Value>, at: &dyn Fn(&str) -> String) -> Result<(), ApiError> {
    match rule.get("strategy").and_then(Value::as_str) {
        Some("linear" | "exponential") => {}
        _ => {
            return Err(ApiError::invalid(format!(
                "{} must be linear or exponential",
                at("strategy")
            )))
        }
    }
    if !rule
        .get("count")
        .and_then(Value::as_i64)
        .is_some_and(|n| (0..=50).contains(&n))
    {
        return Err(ApiError::invalid(format!(
            "{} must be 0 to 50",
            at("count")
        )));
    }
    if rule
        .get("interval")
        .and_then(Value::as_i64)
        .is_none_or(|n| n < 100)
    {
        return Err(ApiError::invalid(format!(
            "{} must be at least 100 (milliseconds)",
            at("interval")
        )));
    }
    match rule.get("response_status_codes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(codes))
            if codes
                .iter()
                .all(|c| c.as_str().is_some_and(status_range_ok)) => {}
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "{} must be a list like [\"500-599\", \"!501\", \"429\"]",
                at("response_status_codes")
            )))
        }
    }
    Ok(())
}

/// `"500"`, `"500-599"`, `"!501"`, `"!500-504"`.
pub fn status_range_ok(s: &str) -> bool {
    let s = s.strip_prefix('!').unwrap_or(s);
    let code = |c: &str| {
        c.trim()
            .parse::<u16>()
            .is_ok_and(|n| (100..=599).contains(&n))
    };
    match s.split_once('-') {
        Some((a, b)) => code(a) && code(b),
        None => code(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(v: Value) -> Result<Value, ApiError> {
        let list: Vec<Map<String, Value>> = serde_json::from_value(v).unwrap();
        check(&list)
    }

    #[test]
    fn valid_rules_pass_and_bad_ones_are_422() {
        assert!(rules(json!([
            {"type": "retry", "strategy": "linear", "count": 3, "interval": 100,
             "response_status_codes": ["500-599", "!501"]},
            {"type": "filter", "body": {"n": {"$gte": 1}}},
            {"type": "delay", "delay": 1000}
        ]))
        .is_ok());
        for bad in [
            json!([{"type": "transform", "transformation_id": "x"}]),
            json!([{"type": "alert"}]),
            json!([{"type": "retry", "strategy": "linear", "count": 51, "interval": 100}]),
            json!([{"type": "retry", "strategy": "linear", "count": 1, "interval": 99}]),
            json!([{"type": "retry", "strategy": "fib", "count": 1, "interval": 100}]),
            json!([{"type": "filter", "body": {"$what": 1}}]),
            json!([{"type": "delay", "delay": 10}, {"type": "delay", "delay": 20}]),
            json!([{"type": "delay"}]),
            json!([{"strategy": "linear"}]),
        ] {
            assert_eq!(
                rules(bad.clone()).unwrap_err().status.as_u16(),
                422,
                "{bad}"
            );
        }
        let e = rules(json!([{"type": "transform"}])).unwrap_err();
        assert_eq!(e.message, "transformations are not supported");
    }
}
