use crate::duration::{de_duration, de_schedule};
use crate::{ConfigError, Secret};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

const DEFAULTS: &str = include_str!("defaults.toml");
/// What the local profile changes in the defaults (never loaded in production).
const LOCAL_DEFAULTS: &str = include_str!("local_defaults.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Local,
    Production,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Local => "local",
            Profile::Production => "production",
        }
    }

    /// `HOOKD_PROFILE`, `production` when unset: a binary started without saying where it runs
    /// gets the safe profile (keys required, no private networks). `make run` and the tests
    /// say `local`.
    pub fn from_env() -> Result<Self, ConfigError> {
        match std::env::var("HOOKD_PROFILE").as_deref() {
            Ok("local") => Ok(Profile::Local),
            Err(_) | Ok("") | Ok("production") => Ok(Profile::Production),
            Ok(other) => Err(ConfigError::Invalid {
                key: "HOOKD_PROFILE",
                reason: format!("`{other}` is neither `local` nor `production`"),
            }),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(skip, default = "local")]
    pub profile: Profile,
    pub database: DatabaseSettings,
    pub amqp: AmqpSettings,
    pub ingest: IngestSettings,
    pub auth: AuthSettings,
    pub router: RouterSettings,
    pub delivery: DeliverySettings,
    pub endpoints: EndpointSettings,
    pub ratelimit: RateLimitSettings,
    #[serde(default)]
    pub secrets: SecretSettings,
    #[serde(default)]
    pub gateway: GatewaySettings,
    pub log: LogSettings,
    #[serde(default)]
    pub telemetry: TelemetrySettings,
    pub console: ConsoleSettings,
    pub retention: crate::RetentionSettings,
}

/// The web console and subscriber portal (CONSOLE.md).
#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleSettings {
    #[serde(deserialize_with = "de_duration")]
    pub session_ttl: Duration,
    /// Base URL of portal links and the origin forms must come from; `http://` + the listen
    /// address when unset.
    #[serde(default)]
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecretSettings {
    #[serde(default)]
    pub encryption_key: Option<Secret<String>>,
}

/// Where spans go (off by default).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TelemetrySettings {
    /// An OTLP/HTTP collector; `None`: spans are not exported.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GatewaySettings {
    /// Base of source URLs (`{public_url}/e/{source_id}`); `http://<ingest.listen>` when unset.
    #[serde(default)]
    pub public_url: Option<String>,
}

fn local() -> Profile {
    Profile::Local
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: Secret<String>,
    pub pool_size: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AmqpSettings {
    pub url: Secret<String>,
    pub prefix: String,
    pub prefetch: u16,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IngestSettings {
    pub listen: String,
    pub body_limit_bytes: usize,
    pub workers: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    #[serde(default)]
    pub bootstrap_api_key: Option<Secret<String>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RouterSettings {
    pub listen: String,
    #[serde(deserialize_with = "de_duration")]
    pub sweep_interval: Duration,
    #[serde(deserialize_with = "de_duration")]
    pub relay_after: Duration,
    /// Bytes of delivery jobs the router holds at once, from before each is built until its
    /// confirm (its payload and URL plus a fixed overhead each).
    pub publish_budget_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeliverySettings {
    pub listen: String,
    #[serde(deserialize_with = "de_schedule")]
    pub retry_schedule: Vec<Duration>,
    #[serde(deserialize_with = "de_duration")]
    pub timeout: Duration,
    pub allow_private_networks: bool,
    pub allowed_subnets: String,
    /// PEM certificates trusted for HTTPS deliveries besides the web PKI roots; empty: none.
    pub extra_ca_file: String,
    pub concurrency: usize,
    pub per_endpoint_concurrency: usize,
    /// The delivery consumer's prefetch (`amqp.prefetch` is the router's).
    pub prefetch: u16,
    #[serde(deserialize_with = "de_duration")]
    pub lease: Duration,
    #[serde(deserialize_with = "de_duration")]
    pub poll_interval: Duration,
    #[serde(deserialize_with = "de_duration")]
    pub max_retry_after: Duration,
    pub circuit_failures: u32,
    #[serde(deserialize_with = "de_duration")]
    pub circuit_cooldown: Duration,
    #[serde(deserialize_with = "de_duration")]
    pub disable_after: Duration,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EndpointSettings {
    #[serde(deserialize_with = "de_duration")]
    pub secret_rotation_grace: Duration,
}

/// Per-API-key request limits (token buckets, per ingest replica).
#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitSettings {
    pub ingest_per_second: u32,
    pub ingest_burst: u32,
    pub management_per_second: u32,
    pub management_burst: u32,
    /// Failed authentications per minute per client address; 0 turns the limit off.
    pub failed_auth_per_minute: u32,
    pub failed_auth_burst: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

impl Settings {
    /// Loads the profile named by `HOOKD_PROFILE` from `HOOKD_CONFIG_DIR` (default `./config`).
    pub fn load() -> Result<Self, ConfigError> {
        let dir = std::env::var_os("HOOKD_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        Self::load_from(Profile::from_env()?, &dir, true)
    }

    /// Defaults, then `dir/<profile>.toml` when present, then the environment when `env` is set.
    pub fn load_from(profile: Profile, dir: &Path, env: bool) -> Result<Self, ConfigError> {
        let mut builder = Self::builtin(profile)
            .add_source(config::File::from(dir.join(profile.name())).required(false));
        if env {
            builder = builder.add_source(
                config::Environment::with_prefix("HOOKD")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            );
        }
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.profile = profile;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in layers of a profile: `defaults.toml`, and for `local` `local_defaults.toml`.
    fn builtin(profile: Profile) -> config::ConfigBuilder<config::builder::DefaultState> {
        let builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        match profile {
            Profile::Local => builder.add_source(config::File::from_str(
                LOCAL_DEFAULTS,
                config::FileFormat::Toml,
            )),
            Profile::Production => builder,
        }
    }

    /// Built-in defaults of a profile without files or environment: the base of tests.
    pub fn defaults(profile: Profile) -> Self {
        let mut settings: Settings = Self::builtin(profile)
            .build()
            .and_then(|c| c.try_deserialize())
            .expect("built-in defaults deserialize");
        settings.profile = profile;
        settings
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| ConfigError::Invalid {
            key,
            reason: reason.into(),
        };
        if self.profile == Profile::Production {
            self.production_keys()?;
        }
        if let Some(key) = &self.auth.bootstrap_api_key {
            if key.expose().trim().is_empty() {
                return Err(invalid("auth.bootstrap_api_key", "must not be empty"));
            }
        }
        if self.database.pool_size == 0 {
            return Err(invalid("database.pool_size", "must be at least 1"));
        }
        if self.delivery.concurrency == 0 || self.delivery.per_endpoint_concurrency == 0 {
            return Err(invalid("delivery.concurrency", "must be at least 1"));
        }
        if self.delivery.timeout.is_zero() {
            return Err(invalid("delivery.timeout", "must be above zero"));
        }
        if self.retention.batch_size == 0 {
            return Err(invalid("retention.batch_size", "must be at least 1"));
        }
        if self.delivery.prefetch == 0 {
            return Err(invalid("delivery.prefetch", "must be at least 1"));
        }
        if self.router.publish_budget_bytes == 0 {
            return Err(invalid("router.publish_budget_bytes", "must be at least 1"));
        }
        if self.amqp.prefetch == 0 {
            return Err(invalid("amqp.prefetch", "must be at least 1"));
        }
        url::Url::parse(self.database.url.expose())
            .map_err(|e| invalid("database.url", &e.to_string()))?;
        // Several nodes of one cluster are comma-separated (hookd-bus tries them in turn).
        for node in self
            .amqp
            .url
            .expose()
            .split(',')
            .filter(|u| !u.trim().is_empty())
        {
            url::Url::parse(node.trim()).map_err(|e| invalid("amqp.url", &e.to_string()))?;
        }
        if let Some(public) = &self.console.public_url {
            let parsed = url::Url::parse(public)
                .map_err(|e| invalid("console.public_url", &e.to_string()))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(invalid("console.public_url", "must be an http(s) URL"));
            }
        }
        if self.console.session_ttl.is_zero() {
            return Err(invalid("console.session_ttl", "must be above zero"));
        }
        Ok(())
    }

    /// Production starts only with its own keys: every missing one is named in one message.
    fn production_keys(&self) -> Result<(), ConfigError> {
        let mut missing = Vec::new();
        if !matches!(&self.auth.bootstrap_api_key, Some(k) if k.expose().trim().len() >= 16) {
            missing.push(
                "auth.bootstrap_api_key (HOOKD__AUTH__BOOTSTRAP_API_KEY, at least 16 characters)",
            );
        }
        if !matches!(&self.secrets.encryption_key, Some(k) if !k.expose().trim().is_empty()) {
            missing.push(
                "secrets.encryption_key (HOOKD__SECRETS__ENCRYPTION_KEY, base64 of 32 bytes: \
                 `openssl rand -base64 32`)",
            );
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::MissingKeys(missing.join(" and ")))
        }
    }

    /// The key that seals endpoint secrets at rest, if configured.
    pub fn encryption_key(&self) -> Option<&str> {
        self.secrets
            .encryption_key
            .as_ref()
            .map(|k| k.expose().as_str())
    }

    /// `delivery.extra_ca_file`, if set.
    pub fn extra_ca_file(&self) -> Option<&std::path::Path> {
        let path = self.delivery.extra_ca_file.trim();
        (!path.is_empty()).then(|| std::path::Path::new(path))
    }

    /// The console's public base URL without a trailing slash.
    pub fn public_url(&self) -> String {
        match &self.console.public_url {
            Some(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
            _ => format!("http://{}", self.ingest.listen),
        }
    }

    /// Number of tries in the retry schedule.
    pub fn max_attempts(&self) -> u32 {
        self.delivery.retry_schedule.len() as u32
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
