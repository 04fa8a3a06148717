//! Matching a value against a [`Schema`].

use crate::{Operator, Schema, Set};
use serde_json::Value;
use std::cmp::Ordering;

pub(crate) fn schema(schema: &Schema, input: Option<&Value>) -> bool {
    match schema {
        Schema::Value(expected) => match input {
            None => false,
            Some(Value::Array(items)) if !expected.is_array() => {
                items.iter().any(|i| loose_eq(expected, i))
            }
            Some(v) => loose_eq(expected, v),
        },
        // Each item of the filter must be matched by some element of the input.
        Schema::Array(wanted) => match input {
            Some(Value::Array(items)) => wanted
                .iter()
                .all(|w| items.iter().any(|i| self::schema(w, Some(i)))),
            _ => false,
        },
        Schema::Object { fields, ops } => {
            ops.iter().all(|op| operator(op, input)) && fields_match(fields, input)
        }
    }
}

/// Field keys against an object; against an array, one element must hold them all (so
/// `{"sku": "a", "qty": 2}` needs one line with both).
fn fields_match(fields: &[(String, Schema)], input: Option<&Value>) -> bool {
    if fields.is_empty() {
        return true;
    }
    match input {
        Some(Value::Array(items)) => items.iter().any(|item| fields_match(fields, Some(item))),
        Some(Value::Object(map)) => fields.iter().all(|(k, s)| schema(s, map.get(k))),
        // A field of a primitive or of nothing is missing.
        _ => fields.iter().all(|(_, s)| schema(s, None)),
    }
}

fn operator(op: &Operator, input: Option<&Value>) -> bool {
    match op {
        Operator::Exist(want) => input.is_some() == *want,
        Operator::Not(inner) => !schema(inner, input),
        Operator::Or(list) => list.iter().any(|s| schema(s, input)),
        Operator::And(list) => list.iter().all(|s| schema(s, input)),
        _ => {
            let Some(value) = input else {
                return false;
            };
            present(op, value)
        }
    }
}

fn present(op: &Operator, value: &Value) -> bool {
    match op {
        Operator::Eq(expected) => deep_eq(expected, value),
        Operator::Neq(expected) => !deep_eq(expected, value),
        Operator::Gt(b) => any_item(value, |v| compare(v, b) == Some(Ordering::Greater)),
        Operator::Gte(b) => any_item(value, |v| {
            matches!(compare(v, b), Some(Ordering::Greater | Ordering::Equal))
        }),
        Operator::Lt(b) => any_item(value, |v| compare(v, b) == Some(Ordering::Less)),
        Operator::Lte(b) => any_item(value, |v| {
            matches!(compare(v, b), Some(Ordering::Less | Ordering::Equal))
        }),
        Operator::In(set) => in_set(set, value),
        Operator::Nin(set) => !in_set(set, value),
        Operator::StartsWith(prefixes) => any_item(value, |v| {
            v.as_str()
                .is_some_and(|s| prefixes.iter().any(|p| s.starts_with(p.as_str())))
        }),
        Operator::EndsWith(suffixes) => any_item(value, |v| {
            v.as_str()
                .is_some_and(|s| suffixes.iter().any(|p| s.ends_with(p.as_str())))
        }),
        Operator::Exist(_) | Operator::Not(_) | Operator::Or(_) | Operator::And(_) => {
            operator(op, Some(value))
        }
    }
}

/// A scalar test on a value, or on any element of an array value.
fn any_item(value: &Value, test: impl Fn(&Value) -> bool) -> bool {
    match value {
        Value::Array(items) => items.iter().any(test),
        v => test(v),
    }
}

fn in_set(set: &Set, value: &Value) -> bool {
    match (set, value) {
        (Set::List(list), Value::Array(items)) => {
            items.iter().any(|i| list.iter().any(|l| deep_eq(l, i)))
        }
        (Set::List(list), v) => list.iter().any(|l| deep_eq(l, v)),
        (Set::Contains(needle), Value::String(s)) => s.contains(needle.as_str()),
        (Set::Contains(needle), Value::Array(items)) => items
            .iter()
            .any(|i| loose_eq(&Value::String(needle.clone()), i)),
        (Set::Contains(_), _) => false,
    }
}

/// Equality where a string equals the number or boolean it spells (`"5"` = `5`): header and
/// query values are always strings.
pub(crate) fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        (Value::String(s), Value::Bool(b)) | (Value::Bool(b), Value::String(s)) => {
            s == if *b { "true" } else { "false" }
        }
        (x, y) => x == y,
    }
}

/// Deep equality built on [`loose_eq`] for the leaves.
fn deep_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| deep_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_eq(v, w)))
        }
        (x, y) => loose_eq(x, y),
    }
}

/// Numbers numerically (a string that spells a number counts as one), strings
/// lexicographically; anything else does not compare.
fn compare(value: &Value, bound: &Value) -> Option<Ordering> {
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    };
    match (value, bound) {
        (Value::String(a), Value::String(b)) => Some(a.as_str().cmp(b.as_str())),
        (a, b) => number(a)?.partial_cmp(&number(b)?),
    }
}
