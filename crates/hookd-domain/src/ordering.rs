//! Ordered delivery (issue 18): an endpoint's `ordering_key` and the lane a message takes.

use serde_json::Value;

/// Longest `ordering_key` accepted, and most segments in it.
const MAX_KEY_LEN: usize = 256;
const MAX_SEGMENTS: usize = 16;

/// A dotted path into a message's `data` (`customer.id`), parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneKey(Vec<String>);

impl LaneKey {
    /// Parses `customer.id`; the error says what is wrong, for the API's 422.
    pub fn parse(path: &str) -> Result<Self, String> {
        if path.is_empty() || path.len() > MAX_KEY_LEN {
            return Err(format!(
                "ordering_key must be a dotted path into data of 1 to {MAX_KEY_LEN} characters"
            ));
        }
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        if segments.iter().any(String::is_empty) {
            return Err(
                "ordering_key must be names separated by single dots, e.g. customer.id".into(),
            );
        }
        if segments.len() > MAX_SEGMENTS {
            return Err(format!(
                "ordering_key has more than {MAX_SEGMENTS} segments"
            ));
        }
        Ok(Self(segments))
    }

    /// The lane of a message with this `data`: the value at the path as JSON text, or the
    /// shared lane `""` when it is missing or null (an array index is a segment of digits).
    pub fn lane(&self, data: &Value) -> String {
        let mut at = data;
        for segment in &self.0 {
            let next = match at {
                Value::Object(map) => map.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match next {
                Some(v) => at = v,
                None => return SHARED_LANE.to_owned(),
            }
        }
        match at {
            Value::Null => SHARED_LANE.to_owned(),
            v => v.to_string(),
        }
    }
}

/// The lane of messages without a key value (and of every message when the endpoint has no
/// key). No key value renders as `""` (a JSON text is never empty), so it cannot collide.
pub const SHARED_LANE: &str = "";

/// How an endpoint orders its deliveries, as the router needs it: `None` in the route for
/// unordered endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fifo {
    /// `None`: one lane for the whole endpoint.
    pub key: Option<LaneKey>,
}

impl Fifo {
    pub fn lane(&self, data: Option<&Value>) -> String {
        match (&self.key, data) {
            (Some(key), Some(data)) => key.lane(data),
            _ => SHARED_LANE.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lanes_follow_the_key_and_missing_values_share_one() {
        let key = LaneKey::parse("customer.id").unwrap();
        assert_eq!(key.lane(&json!({"customer": {"id": "c1"}})), "\"c1\"");
        assert_eq!(key.lane(&json!({"customer": {"id": 1}})), "1");
        assert_eq!(key.lane(&json!({"customer": {}})), SHARED_LANE);
        assert_eq!(key.lane(&json!({"customer": {"id": null}})), SHARED_LANE);
        assert_eq!(key.lane(&json!("text")), SHARED_LANE);
        let idx = LaneKey::parse("items.0.sku").unwrap();
        assert_eq!(idx.lane(&json!({"items": [{"sku": "a"}]})), "\"a\"");
    }

    #[test]
    fn bad_keys_are_refused() {
        for bad in ["", ".", "a..b", "a.", ".a", &"x".repeat(300)] {
            assert!(LaneKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(LaneKey::parse(&vec!["a"; 17].join(".")).is_err());
    }
}
