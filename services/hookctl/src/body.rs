//! A request body from `--data` (JSON, `@file`, `@-`) and `--set field=value` pairs.

use crate::error::CliError;
use serde_json::{Map, Value};
use std::io::Read;

/// `--data` then each `--set` on top of it; an empty object when neither is given.
pub fn build(data: Option<&str>, sets: &[String]) -> Result<Value, CliError> {
    let mut body = match data {
        Some(text) => parse_data(text)?,
        None => Value::Object(Map::new()),
    };
    for pair in sets {
        let (path, raw) = pair
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("--set {pair}: expected FIELD=VALUE")))?;
        // A JSON value when it is one (`5`, `true`, `["a"]`), else the text itself.
        let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
        set(&mut body, path, value)?;
    }
    Ok(body)
}

/// `--data`'s JSON: given inline, from a file (`@path`) or from standard input (`@-`).
pub fn parse_data(text: &str) -> Result<Value, CliError> {
    let raw = match text.strip_prefix('@') {
        Some("-") => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        }
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("--data @{path}: {e}")))?,
        None => text.to_owned(),
    };
    serde_json::from_str(&raw).map_err(|e| CliError::usage(format!("--data is not JSON: {e}")))
}

fn set(body: &mut Value, path: &str, value: Value) -> Result<(), CliError> {
    let mut at = body;
    let keys: Vec<&str> = path.split('.').collect();
    for (i, key) in keys.iter().enumerate() {
        let Value::Object(map) = at else {
            return Err(CliError::usage(format!(
                "--set {path}: `{}` is not an object",
                keys[..i].join(".")
            )));
        };
        if i + 1 == keys.len() {
            map.insert((*key).to_owned(), value);
            return Ok(());
        }
        at = map
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sets_go_on_top_of_data_as_json_or_text() {
        let body = build(
            Some(r#"{"name": "a", "metadata": {"x": 1}}"#),
            &["name=b".into(), "metadata.tier=gold".into(), "n=5".into()],
        )
        .unwrap();
        assert_eq!(
            body,
            json!({"name": "b", "metadata": {"x": 1, "tier": "gold"}, "n": 5})
        );
        assert!(build(None, &["novalue".into()]).is_err());
        assert!(build(Some("{not json"), &[]).is_err());
    }
}
