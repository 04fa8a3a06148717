use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// Parses "15s", "5m", "500ms", "2h".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|e| format!("`{s}` is not a duration: {e}"))
}

/// Parses a retry schedule such as `0s,5s,5m`: the delay before each try.
pub fn parse_schedule(s: &str) -> Result<Vec<Duration>, String> {
    let tries: Vec<Duration> = s
        .split(',')
        .filter(|part| !part.trim().is_empty())
        .map(parse_duration)
        .collect::<Result<_, _>>()?;
    if tries.is_empty() {
        return Err("the retry schedule needs at least one entry".into());
    }
    Ok(tries)
}

pub(crate) fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map_err(serde::de::Error::custom)
}

pub(crate) fn de_schedule<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Duration>, D::Error> {
    let s = String::deserialize(d)?;
    parse_schedule(&s).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_counts_tries() {
        let s = parse_schedule("0s,1s,1s").unwrap();
        assert_eq!(
            s,
            vec![
                Duration::ZERO,
                Duration::from_secs(1),
                Duration::from_secs(1)
            ]
        );
        assert_eq!(
            parse_schedule("0s, 5m ,2h").unwrap()[2],
            Duration::from_secs(7200)
        );
        assert!(parse_schedule("").is_err());
        assert!(parse_schedule("5 parsecs").is_err());
    }
}
