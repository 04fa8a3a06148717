//! A bulk retry's `query` (event filters as JSON) read as the query string of `/events`, so
//! both are parsed by the same code: `{"status": "FAILED", "webhook_id": ["web_a", "web_b"],
//! "created_at": {"gte": "2026-01-01"}}` is `status=FAILED&webhook_id=web_a&webhook_id=web_b&
//! created_at[gte]=2026-01-01`.

use super::event_model::EVENT_LIST;
use crate::error::ApiError;
use crate::list::ListQuery;
use serde_json::{Map, Value};

/// The query's filters (422 if it is not a non-empty object of filters).
pub fn parse(query: &Value) -> Result<ListQuery, ApiError> {
    let object = match query {
        Value::Object(o) if !o.is_empty() => o,
        _ => {
            return Err(
                ApiError::invalid("query must be an object of event filters")
                    .with_data(serde_json::json!({"field": "query"})),
            )
        }
    };
    ListQuery::parse_query(&to_query_string(object)?, &EVENT_LIST)
}

fn to_query_string(object: &Map<String, Value>) -> Result<String, ApiError> {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in object {
        match value {
            Value::Object(ops) => {
                for (op, v) in ops {
                    for item in scalars(name, v)? {
                        out.append_pair(&format!("{name}[{op}]"), &item);
                    }
                }
            }
            other => {
                for item in scalars(name, other)? {
                    out.append_pair(name, &item);
                }
            }
        }
    }
    Ok(out.finish())
}

/// A value or a list of values as query text.
fn scalars(name: &str, v: &Value) -> Result<Vec<String>, ApiError> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(ApiError::invalid(format!(
            "query.{name} must be a string, number, boolean or a list of them"
        ))),
    };
    match v {
        Value::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_filters_become_the_list_filters() {
        let q = parse(&json!({
            "status": ["FAILED", "SUCCESSFUL"],
            "attempts": {"gte": 2},
            "created_at": {"gte": "2026-01-01T00:00:00Z"},
            "response_status": {"any": true},
        }))
        .unwrap();
        assert_eq!(q.filters.len(), 4);
    }

    #[test]
    fn a_missing_empty_or_bad_query_is_422() {
        for bad in [
            json!(null),
            json!({}),
            json!("status=FAILED"),
            json!({"status": "LOST"}),
            json!({"attempts": {"gte": "many"}}),
            json!({"status": {"a": {"b": 1}}}),
        ] {
            let e = parse(&bad).err().unwrap_or_else(|| panic!("{bad}"));
            assert_eq!(e.status.as_u16(), 422, "{bad}");
        }
    }
}
