//! Layered, typed settings: built-in defaults, then `config/<profile>.toml`, then
//! `HOOKD__SECTION__KEY` environment variables.

mod duration;
mod retention;
mod secret;
mod settings;

pub use duration::{parse_duration, parse_schedule};
pub use retention::RetentionSettings;
pub use secret::Secret;
pub use settings::*;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot load configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error(
        "the production profile needs its own keys, missing: {0}. \
         For local development set HOOKD_PROFILE=local"
    )]
    MissingKeys(String),
    #[error("invalid setting `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}
