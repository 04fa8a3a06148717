//! An endpoint's payload filter: a [`Schema`] over `{"event_type", "version", "data"}` of each
//! message (issue 18).

use crate::{FilterError, Operator, Schema};
use serde_json::{Map, Value};

/// The keys a message filter may name at its top level.
pub const MESSAGE_KEYS: [&str; 3] = ["event_type", "version", "data"];

/// A checked endpoint filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFilter(Schema);

impl MessageFilter {
    /// Checks a filter: an object whose field keys (at the top, and inside top-level `$or`,
    /// `$and`, `$not`) are among [`MESSAGE_KEYS`], since any other key could never match.
    pub fn parse(filter: &Value) -> Result<Self, FilterError> {
        if !filter.is_object() {
            return Err(FilterError {
                path: String::new(),
                message: "a filter is an object, e.g. {\"data\": {\"amount\": {\"$gte\": 100}}}"
                    .into(),
            });
        }
        let schema = Schema::parse(filter)?;
        top_level_keys(&schema, &mut Vec::new())?;
        Ok(Self(schema))
    }

    /// A filter that passes nothing: for a stored filter that no longer parses, so the
    /// endpoint gets nothing rather than everything.
    pub fn nothing() -> Self {
        Self(Schema::Object {
            fields: Vec::new(),
            ops: vec![Operator::Exist(false)],
        })
    }

    /// Whether a message passes; `input` is [`message_input`]'s value.
    pub fn matches(&self, input: &Value) -> bool {
        self.0.matches(Some(input))
    }
}

/// What a message filter is matched against. Built once per message, whatever the number of
/// filtered endpoints.
pub fn message_input(event_type: &str, version: &str, data: Value) -> Value {
    let mut map = Map::with_capacity(3);
    map.insert("event_type".into(), Value::String(event_type.to_owned()));
    map.insert("version".into(), Value::String(version.to_owned()));
    map.insert("data".into(), data);
    Value::Object(map)
}

fn top_level_keys(schema: &Schema, path: &mut Vec<String>) -> Result<(), FilterError> {
    let Schema::Object { fields, ops } = schema else {
        return Err(FilterError::at(
            path,
            "must be an object of event_type, version, data",
        ));
    };
    for (key, _) in fields {
        if !MESSAGE_KEYS.contains(&key.as_str()) {
            path.push(key.clone());
            return Err(FilterError::at(
                path,
                "unknown key: a filter matches event_type, version, data",
            ));
        }
    }
    for op in ops {
        match op {
            Operator::Or(list) | Operator::And(list) => {
                let name = if matches!(op, Operator::Or(_)) {
                    "$or"
                } else {
                    "$and"
                };
                for (i, s) in list.iter().enumerate() {
                    path.extend([name.to_owned(), i.to_string()]);
                    top_level_keys(s, path)?;
                    path.truncate(path.len() - 2);
                }
            }
            Operator::Not(inner) => {
                path.push("$not".into());
                top_level_keys(inner, path)?;
                path.pop();
            }
            // `$exist` and comparisons at the top would test the whole message object.
            _ => {}
        }
    }
    Ok(())
}
