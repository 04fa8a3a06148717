//! Gateway ids: a prefix naming the kind (`src_`) and the row's UUID in hex.

use uuid::Uuid;

pub const SOURCE: &str = "src_";
pub const DESTINATION: &str = "des_";
pub const CONNECTION: &str = "web_";
pub const REQUEST: &str = "req_";
pub const EVENT: &str = "evt_";

pub fn format(prefix: &str, id: Uuid) -> String {
    format!("{prefix}{}", id.simple())
}

/// The UUID of `value` if it is an id of this kind; anything else is no id (a 404).
pub fn parse(prefix: &str, value: &str) -> Option<Uuid> {
    let hex = value.strip_prefix(prefix)?;
    if hex.len() != 32 {
        return None;
    }
    Uuid::try_parse(hex).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_other_kinds_are_not_ids() {
        let id = Uuid::now_v7();
        let s = format(SOURCE, id);
        assert!(s.starts_with("src_") && s.len() == 36);
        assert_eq!(parse(SOURCE, &s), Some(id));
        assert_eq!(parse(DESTINATION, &s), None);
        assert_eq!(parse(SOURCE, &id.to_string()), None);
        assert_eq!(parse(SOURCE, "src_"), None);
        assert_eq!(parse(SOURCE, &format!("src_{}", id.hyphenated())), None);
    }
}
