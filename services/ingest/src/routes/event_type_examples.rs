//! Example payloads per message version (issue 17, Svix's `schemas` with examples): each
//! example of `examples` (`{"2.0": {...}}`) must satisfy that version's schema (`schemas`),
//! or `schema` for a version without one; `example` is the default version's.

use crate::body::invalid_field;
use crate::error::ApiError;
use serde_json::Value;
use std::collections::BTreeMap;

/// The schema a message of `version` is checked against.
fn schema_of<'a>(
    version: &str,
    schema: Option<&'a Value>,
    schemas: &'a BTreeMap<String, Value>,
) -> Option<&'a Value> {
    schemas.get(version).or(schema)
}

/// Per-version examples as stored, each checked against its version's schema; 422 names the
/// version and where the example breaks the schema.
pub(crate) fn check_examples(
    examples: &BTreeMap<String, Value>,
    schema: Option<&Value>,
    schemas: &BTreeMap<String, Value>,
) -> Result<Value, ApiError> {
    for (version, example) in examples {
        if version.trim().is_empty() || version.len() > 64 {
            return Err(invalid_field(
                "examples",
                format!("examples key {version:?} is not a message version (1 to 64 characters)"),
            ));
        }
        let Some(schema) = schema_of(version, schema, schemas) else {
            continue;
        };
        let validator = jsonschema::validator_for(schema).map_err(|e| {
            invalid_field(
                "examples",
                format!("the schema of version {version:?} is not a valid JSON Schema: {e}"),
            )
        })?;
        let first = validator.iter_errors(example).next();
        if let Some(error) = first {
            let at = error.instance_path().to_string();
            let at = if at.is_empty() {
                String::new()
            } else {
                format!(" (at {at})")
            };
            return Err(ApiError::invalid(format!(
                "examples[{version:?}] does not match the schema of version {version:?}: {error}{at}"
            ))
            .with_data(serde_json::json!({ "field": "examples", "version": version })));
        }
    }
    Ok(serde_json::json!(examples))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn each_example_is_checked_against_its_version_schema() {
        let schema = json!({"type": "object", "required": ["id"]});
        let schemas = map(json!({"2.0": {"type": "object", "required": ["email"]}}));
        let ok = map(json!({"2.0": {"email": "a@b"}, "1.0": {"id": 1}}));
        assert!(check_examples(&ok, Some(&schema), &schemas).is_ok());
        let bad = map(json!({"2.0": {"id": 1}}));
        let e = check_examples(&bad, Some(&schema), &schemas).unwrap_err();
        assert!(e.message.contains("\"2.0\""), "{}", e.message);
        let bad_default = map(json!({"1.0": {"email": "a@b"}}));
        assert!(check_examples(&bad_default, Some(&schema), &schemas).is_err());
        assert!(check_examples(&map(json!({"": {}})), None, &schemas).is_err());
    }
}
