//! A connection's `filter` rule: filters on the parts of an inbound request.

use crate::{FilterError, Schema};
use serde_json::{Map, Value};

/// `{body?, headers?, query?, path?}`; every part given must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestFilter {
    pub body: Option<Schema>,
    pub headers: Option<Schema>,
    pub query: Option<Schema>,
    pub path: Option<Schema>,
}

/// What a filter looks at. `headers` has lower-case names; `query` is the parsed query.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub body: &'a Value,
    pub headers: &'a Value,
    pub query: &'a Value,
    pub path: &'a str,
}

impl RequestFilter {
    pub const PARTS: [&'static str; 4] = ["body", "headers", "query", "path"];

    /// Checks the rule's object (its `type` key aside); an unknown part is an error.
    pub fn parse(rule: &Map<String, Value>) -> Result<Self, FilterError> {
        let mut out = Self::default();
        for (key, value) in rule {
            let part = |v: &Value| Schema::parse(v).map_err(|e| e.under(key));
            match key.as_str() {
                "type" => {}
                "body" => out.body = Some(part(value)?),
                // Header names are case-insensitive; inbound names are stored lower-case.
                "headers" => out.headers = Some(part(&lower_keys(value))?),
                "query" => out.query = Some(part(value)?),
                "path" => out.path = Some(part(value)?),
                other => {
                    return Err(FilterError {
                        path: other.to_owned(),
                        message: "unknown filter part (body, headers, query, path)".into(),
                    })
                }
            }
        }
        if out == Self::default() {
            return Err(FilterError {
                path: String::new(),
                message: "a filter needs at least one of body, headers, query, path".into(),
            });
        }
        Ok(out)
    }

    /// `Ok` when every given part matches, else the name of the first part that failed.
    pub fn check(&self, parts: &RequestParts<'_>) -> Result<(), &'static str> {
        let path = Value::String(parts.path.to_owned());
        let checks: [(&'static str, &Option<Schema>, &Value); 4] = [
            ("body", &self.body, parts.body),
            ("headers", &self.headers, parts.headers),
            ("query", &self.query, parts.query),
            ("path", &self.path, &path),
        ];
        for (name, schema, value) in checks {
            if let Some(schema) = schema {
                if !schema.matches(Some(value)) {
                    return Err(name);
                }
            }
        }
        Ok(())
    }
}

fn lower_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = if k.starts_with('$') {
                        k.clone()
                    } else {
                        k.to_ascii_lowercase()
                    };
                    (key, v.clone())
                })
                .collect(),
        ),
        other => other.clone(),
    }
}
