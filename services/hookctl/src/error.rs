//! What can go wrong in a hookctl run, each with what to do about it.

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The API answered an error (its `message` says why).
    #[error("{status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("cannot reach {url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{0}")]
    Usage(String),
    #[error("config file {path}: {reason}")]
    Config { path: String, reason: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// `hookctl verify`: the signature does not match (exit status 1, nothing else wrong).
    #[error("signature invalid: {0}")]
    Invalid(String),
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }
}
