//! Where hookctl finds the API and its key: flags, then the environment (`HOOKD_URL`,
//! `HOOKD_API_KEY`), then a named profile of the config file (`hookctl login` writes it).

use crate::error::CliError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The address `make run` serves on, when nothing names another.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ConfigFile {
    /// The profile used when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub url: String,
    pub api_key: String,
}

/// `--config`, else `HOOKCTL_CONFIG`, else `$XDG_CONFIG_HOME/hookctl/config.toml`, else
/// `~/.config/hookctl/config.toml`.
pub fn path(flag: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(p) = flag {
        return Ok(p.to_owned());
    }
    if let Some(p) = std::env::var_os("HOOKCTL_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(p.into());
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|p| !p.is_empty()) {
            Some(home) => PathBuf::from(home).join(".config"),
            None => {
                return Err(CliError::usage(
                    "no config file location: set HOOKCTL_CONFIG or HOME, or pass --config",
                ))
            }
        },
    };
    Ok(base.join("hookctl").join("config.toml"))
}

fn config_error(path: &Path, reason: impl ToString) -> CliError {
    CliError::Config {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// The file, or an empty one when it does not exist yet.
pub fn load(path: &Path) -> Result<ConfigFile, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| config_error(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
        Err(e) => Err(config_error(path, e)),
    }
}

/// Writes the file readable by its owner only: it holds API keys.
pub fn save(path: &Path, file: &ConfigFile) -> Result<(), CliError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| config_error(path, e))?;
    }
    let text = toml::to_string_pretty(file).map_err(|e| config_error(path, e))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write;
    let mut f = options.open(path).map_err(|e| config_error(path, e))?;
    f.write_all(text.as_bytes())
        .map_err(|e| config_error(path, e))
}

/// What the global flags said (`None`: not given).
pub struct Given<'a> {
    pub url: Option<&'a str>,
    pub api_key: Option<&'a str>,
    pub profile: Option<&'a str>,
    pub config: Option<&'a Path>,
}

/// The API's address and key for this run.
pub struct Target {
    pub url: String,
    pub api_key: String,
}

pub fn resolve(given: &Given) -> Result<Target, CliError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let path = path(given.config)?;
    let file = load(&path)?;
    let wanted = given
        .profile
        .map(str::to_owned)
        .or_else(|| env("HOOKCTL_PROFILE"));
    let profile = match &wanted {
        Some(name) => Some(file.profiles.get(name).ok_or_else(|| {
            config_error(
                &path,
                format!("no profile `{name}` (hookctl login --profile {name})"),
            )
        })?),
        None => file
            .default
            .as_ref()
            .and_then(|name| file.profiles.get(name)),
    };
    // A named profile wins over the environment; otherwise flags, environment, file.
    let (url, key) = if wanted.is_some() {
        (
            given
                .url
                .map(str::to_owned)
                .or(profile.map(|p| p.url.clone())),
            given
                .api_key
                .map(str::to_owned)
                .or(profile.map(|p| p.api_key.clone())),
        )
    } else {
        (
            given
                .url
                .map(str::to_owned)
                .or_else(|| env("HOOKD_URL"))
                .or(profile.map(|p| p.url.clone())),
            given
                .api_key
                .map(str::to_owned)
                .or_else(|| env("HOOKD_API_KEY"))
                .or(profile.map(|p| p.api_key.clone())),
        )
    };
    let api_key = key.ok_or_else(|| {
        CliError::usage(
            "no API key: pass --api-key, set HOOKD_API_KEY, or run `hookctl login` once",
        )
    })?;
    Ok(Target {
        url: url
            .unwrap_or_else(|| DEFAULT_URL.to_owned())
            .trim_end_matches('/')
            .to_owned(),
        api_key,
    })
}
