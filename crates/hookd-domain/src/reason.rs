//! An error told with its causes, for the people who read logs and startup failures.

use std::error::Error;

/// The error and each of its sources on one line, `: `-separated (`error connecting to server:
/// Connection refused (os error 111)`). A library's top-level text alone is often vague
/// (tokio-postgres says `db error` for PostgreSQL's `sorry, too many clients already`); a
/// source whose text is already in the line is left out, for errors that repeat their cause.
pub fn reason(error: &(dyn Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::reason;

    #[derive(Debug, thiserror::Error)]
    #[error("database unavailable")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("broker unavailable: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn the_causes_follow_the_error_once_each() {
        let refused = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(reason(&Outer(refused())), "database unavailable: refused");
        assert_eq!(reason(&Repeats(refused())), "broker unavailable: refused");
    }
}
