//! Field helpers of gateway bodies: names, three-state fields (absent, null, a value).

use crate::error::ApiError;
use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "nullable")]` on `Option<Option<T>>`: absent is
/// `None`, `null` is `Some(None)`, a value is `Some(Some(v))`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `^[A-Za-z0-9_-]{1,155}$`.
pub fn check_name(name: &str, field: &str) -> Result<(), ApiError> {
    let ok = (1..=155).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        return Err(ApiError::invalid(format!(
            "{field} must be 1 to 155 letters, digits, `_` or `-`"
        ))
        .with_data(serde_json::json!({ "field": field })));
    }
    Ok(())
}

/// A required name.
pub fn required_name(name: &Option<String>, field: &str) -> Result<String, ApiError> {
    let name = name.as_deref().ok_or_else(|| {
        ApiError::invalid(format!("{field} is required"))
            .with_data(serde_json::json!({ "field": field }))
    })?;
    check_name(name, field)?;
    Ok(name.to_owned())
}

/// A description: at most 2,000 characters.
pub fn check_description(d: &Option<String>) -> Result<(), ApiError> {
    if d.as_ref().is_some_and(|d| d.chars().count() > 2000) {
        return Err(ApiError::invalid(
            "description must be at most 2000 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_pattern() {
        assert!(check_name("shop_1-eu", "name").is_ok());
        for bad in ["", "a b", "é", &"x".repeat(156)] {
            assert_eq!(check_name(bad, "name").unwrap_err().status.as_u16(), 422);
        }
    }
}
