//! Turning a filter's JSON into a [`Schema`], refusing what would never be meant.

use crate::{FilterError, Operator, Schema, Set};
use serde_json::Value;

pub(crate) fn schema(filter: &Value, path: &mut Vec<String>) -> Result<Schema, FilterError> {
    match filter {
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                out.push(schema(item, path)?);
                path.pop();
            }
            Ok(Schema::Array(out))
        }
        Value::Object(map) => {
            let mut fields = Vec::new();
            let mut ops = Vec::new();
            for (key, value) in map {
                path.push(key.clone());
                if key.starts_with('$') {
                    ops.push(operator(key, value, path)?);
                } else {
                    fields.push((key.clone(), schema(value, path)?));
                }
                path.pop();
            }
            Ok(Schema::Object { fields, ops })
        }
        primitive => Ok(Schema::Value(primitive.clone())),
    }
}

fn operator(key: &str, operand: &Value, path: &mut Vec<String>) -> Result<Operator, FilterError> {
    let bad = |what: &str| FilterError::at(path, format!("{key} takes {what}"));
    Ok(match key {
        "$eq" => Operator::Eq(operand.clone()),
        "$neq" => Operator::Neq(operand.clone()),
        "$gt" | "$gte" | "$lt" | "$lte" => {
            if !(operand.is_number() || operand.is_string()) {
                return Err(bad("a number or a string"));
            }
            let v = operand.clone();
            match key {
                "$gt" => Operator::Gt(v),
                "$gte" => Operator::Gte(v),
                "$lt" => Operator::Lt(v),
                _ => Operator::Lte(v),
            }
        }
        "$in" | "$nin" => {
            let set = match operand {
                Value::String(s) => Set::Contains(s.clone()),
                Value::Array(items) => Set::List(items.clone()),
                _ => return Err(bad("a list or a string")),
            };
            if key == "$in" {
                Operator::In(set)
            } else {
                Operator::Nin(set)
            }
        }
        "$startsWith" | "$endsWith" => {
            let strings = match operand {
                Value::String(s) => vec![s.clone()],
                Value::Array(items) if !items.is_empty() => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad("a string or a list of strings"))?,
                _ => return Err(bad("a string or a list of strings")),
            };
            if key == "$startsWith" {
                Operator::StartsWith(strings)
            } else {
                Operator::EndsWith(strings)
            }
        }
        "$exist" => Operator::Exist(operand.as_bool().ok_or_else(|| bad("true or false"))?),
        "$or" | "$and" => {
            let Value::Array(items) = operand else {
                return Err(bad("a list of filters"));
            };
            if items.is_empty() {
                return Err(bad("a non-empty list of filters"));
            }
            let mut schemas = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                schemas.push(schema(item, path)?);
                path.pop();
            }
            if key == "$or" {
                Operator::Or(schemas)
            } else {
                Operator::And(schemas)
            }
        }
        "$not" => Operator::Not(Box::new(schema(operand, path)?)),
        other => return Err(FilterError::at(path, format!("unknown operator `{other}`"))),
    })
}
