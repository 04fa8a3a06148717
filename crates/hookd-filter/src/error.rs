/// Why a filter is not valid, and where in it (`""` is the filter itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct FilterError {
    /// Dotted path of the offending key, e.g. `body.n.$gte`.
    pub path: String,
    pub message: String,
}

impl FilterError {
    pub(crate) fn at(path: &[String], message: impl Into<String>) -> Self {
        Self {
            path: path.join("."),
            message: message.into(),
        }
    }

    /// The same error, placed under `prefix` (`body`, `headers`, ...).
    pub fn under(mut self, prefix: &str) -> Self {
        self.path = if self.path.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.path)
        };
        self
    }
}
