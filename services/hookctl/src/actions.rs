//! The commands that are not a resource verb: login, send, verify, completions.

use crate::client::Api;
use crate::config::{self, Given, Profile};
use crate::error::CliError;
use crate::output::{self, Format};
use crate::resources::fill;
use clap::ArgMatches;
use http::Method;
use serde_json::json;
use std::io::{Read, Write};

/// Checks the key with a request that needs one, then saves the profile as the default.
pub async fn login(given: &Given<'_>, out: &mut dyn Write) -> Result<(), CliError> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let url = given
        .url
        .map(str::to_owned)
        .or_else(|| env("HOOKD_URL"))
        .unwrap_or_else(|| config::DEFAULT_URL.to_owned());
    let api_key = given
        .api_key
        .map(str::to_owned)
        .or_else(|| env("HOOKD_API_KEY"))
        .ok_or_else(|| CliError::usage("hookctl login needs --api-key (or HOOKD_API_KEY)"))?;
    let name = given.profile.unwrap_or("default").to_owned();
    Api::new(&url, &api_key)
        .get("/api/v1/apps", &[("limit".into(), "1".into())])
        .await?;
    let path = config::path(given.config)?;
    let mut file = config::load(&path)?;
    file.profiles.insert(
        name.clone(),
        Profile {
            url: url.trim_end_matches('/').to_owned(),
            api_key,
        },
    );
    file.default = Some(name.clone());
    config::save(&path, &file)?;
    writeln!(
        out,
        "logged in to {url}: profile `{name}` saved in {}",
        path.display()
    )?;
    Ok(())
}

pub async fn send(
    api: &Api,
    args: &ArgMatches,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let data = crate::body::parse_data(args.get_one::<String>("data").unwrap())?;
    let mut body = json!({
        "event_type": args.get_one::<String>("event-type").unwrap(),
        "data": data,
    });
    for (flag, field) in [("event-id", "event_id"), ("version", "version")] {
        if let Some(v) = args.get_one::<String>(flag) {
            body[field] = json!(v);
        }
    }
    let path = match (
        args.get_one::<String>("endpoint"),
        args.get_one::<String>("subscription"),
    ) {
        (Some(endpoint), Some(sub)) => fill(
            "/api/v1/subscriptions/{parent}/endpoints/{id}/messages",
            Some(sub),
            Some(endpoint),
        ),
        _ => fill(
            "/api/v1/apps/{parent}/messages",
            args.get_one::<String>("app").map(String::as_str),
            None,
        ),
    };
    let message = api.send(Method::POST, &path, Some(&body)).await?;
    output::show(out, format, &message)
}

/// Exit 0 when one of the signatures matches and the timestamp is within the tolerance.
pub fn verify(args: &ArgMatches, format: Format, out: &mut dyn Write) -> Result<(), CliError> {
    let secret = args.get_one::<String>("secret").unwrap();
    let id = args.get_one::<String>("id").unwrap();
    let timestamp = *args.get_one::<i64>("timestamp").unwrap();
    let signature = args.get_one::<String>("signature").unwrap();
    let tolerance = *args.get_one::<u64>("tolerance").unwrap();
    let body: Vec<u8> = match (
        args.get_one::<String>("body"),
        args.get_one::<std::path::PathBuf>("body-file"),
    ) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, Some(path)) => std::fs::read(path)
            .map_err(|e| CliError::usage(format!("--body-file {}: {e}", path.display())))?,
        (None, None) => {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes)?;
            bytes
        }
    };
    hookd_signing::SigningKey::parse(secret)
        .map_err(|e| CliError::usage(format!("--secret: {e}")))?;
    let verdict: Result<(), String> =
        if !hookd_signing::verify(secret, id, timestamp, &body, signature) {
            Err("no signature matches this secret, id, timestamp and body".into())
        } else {
            let age = chrono::Utc::now().timestamp().abs_diff(timestamp);
            if tolerance > 0 && age > tolerance {
                Err(format!(
                    "the timestamp is {age}s from now (tolerance {tolerance}s): a replay?"
                ))
            } else {
                Ok(())
            }
        };
    match format {
        Format::Json => output::json(
            out,
            &json!({"valid": verdict.is_ok(), "reason": verdict.as_ref().err()}),
        )?,
        Format::Table if verdict.is_ok() => writeln!(out, "signature valid")?,
        Format::Table => {}
    }
    verdict.map_err(CliError::Invalid)
}

pub fn completions(args: &ArgMatches, out: &mut dyn Write) -> Result<(), CliError> {
    let shell = *args.get_one::<clap_complete::Shell>("shell").unwrap();
    let mut cmd = crate::cli::command();
    clap_complete::generate(shell, &mut cmd, "hookctl", out);
    Ok(())
}
