//! `hookctl listen`: forwards a `cli` endpoint's live deliveries to a local URL, printing each
//! with its status, and reports each result to hookd (a 2xx delivers it; anything else follows
//! the endpoint's retry schedule). Reconnects by itself; while it is away deliveries wait.

use crate::client::Api;
use crate::error::CliError;
use crate::output::Format;
use bytes::{Bytes, BytesMut};
use clap::{Arg, ArgMatches, Command};
use http::Method;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

/// A forward that takes longer is a failed try (hookd's default delivery timeout).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(15);
/// The server writes at least a blank line every few seconds: a silence this long is a dead link.
const SILENCE: Duration = Duration::from_secs(30);
/// The wait before connecting again after the stream ended.
const RECONNECT: Duration = Duration::from_secs(1);

pub fn command() -> Command {
    Command::new("listen")
        .about("Forwards a cli endpoint's live deliveries to a local URL")
        .long_about(
            "Forwards the deliveries of a cli endpoint (created with \"kind\": \"cli\") to a local \
             URL as they happen, signed as hookd signs any webhook (webhook-id, webhook-timestamp, \
             webhook-signature), and prints each with the local answer. A 2xx delivers it; \
             anything else is a failed try, retried on the endpoint's schedule. While no \
             `hookctl listen` runs, deliveries wait and nothing is lost; one handed out but not \
             answered when it stops comes again (same webhook-id: deduplicate by it). Runs until \
             stopped (Ctrl-C), reconnecting by itself.",
        )
        .after_help(
            "Examples:\n  \
             hookctl endpoints create --subscription SUB_ID \\\n      \
             --data '{\"kind\": \"cli\", \"event_types\": [\"user.created\"]}'\n  \
             hookctl listen --endpoint ENDPOINT_ID --forward http://localhost:3000/webhooks\n  \
             hookctl listen --endpoint ENDPOINT_ID --forward http://localhost:3000/webhooks --output json",
        )
        .arg(
            Arg::new("endpoint")
                .long("endpoint")
                .required(true)
                .value_name("ENDPOINT_ID")
                .help("The cli endpoint's id"),
        )
        .arg(
            Arg::new("forward")
                .long("forward")
                .required(true)
                .value_name("URL")
                .help("Where to POST each webhook (http://localhost:3000/webhooks)"),
        )
}

/// One line of the stream (`GET /api/v1/endpoints/{id}/listen`).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Connected {},
    Delivery {
        delivery_id: String,
        message_id: String,
        attempt: i32,
        event_type: String,
        headers: BTreeMap<String, String>,
        body: String,
    },
    #[serde(other)]
    Other,
}

pub async fn run(
    api: &Api,
    args: &ArgMatches,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let endpoint = args.get_one::<String>("endpoint").expect("required");
    let forward = args.get_one::<String>("forward").expect("required");
    let parsed = url::Url::parse(forward)
        .map_err(|e| CliError::usage(format!("--forward {forward}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(CliError::usage("--forward must be an http(s) URL"));
    }
    let path = format!("/api/v1/endpoints/{endpoint}/listen");
    let mut connected_once = false;
    loop {
        match api.open_stream(&path).await {
            Ok(body) => {
                let ended = follow(api, endpoint, forward, body, format, out).await?;
                connected_once = true;
                eprintln!("hookctl listen: disconnected ({ended}); reconnecting");
            }
            // The endpoint is not one to listen to, or the key is wrong: retrying cannot help.
            Err(e @ CliError::Api { status, .. }) if (400..500).contains(&status) => return Err(e),
            Err(e) if !connected_once => return Err(e),
            Err(e) => eprintln!("hookctl listen: {e}; reconnecting"),
        }
        tokio::time::sleep(RECONNECT).await;
    }
}

/// Reads the stream until it ends; answers why it ended.
async fn follow(
    api: &Api,
    endpoint: &str,
    forward: &str,
    mut body: hyper::body::Incoming,
    format: Format,
    out: &mut dyn Write,
) -> Result<String, CliError> {
    let mut buf = BytesMut::new();
    loop {
        let frame = match tokio::time::timeout(SILENCE, body.frame()).await {
            Err(_) => return Ok(format!("nothing heard for {}s", SILENCE.as_secs())),
            Ok(None) => return Ok("the server closed the stream".into()),
            Ok(Some(Err(e))) => return Ok(hookd_domain::reason(&e)),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        buf.extend_from_slice(&data);
        while let Some(end) = buf.iter().position(|b| *b == b'\n') {
            let raw = buf.split_to(end + 1);
            let text = String::from_utf8_lossy(&raw[..end]);
            if text.trim().is_empty() {
                continue; // keepalive
            }
            match serde_json::from_str::<Line>(&text) {
                Ok(Line::Connected {}) => {
                    eprintln!("hookctl listen: ready, forwarding endpoint {endpoint} to {forward}");
                }
                Ok(Line::Delivery {
                    delivery_id,
                    message_id,
                    attempt,
                    event_type,
                    headers,
                    body,
                }) => {
                    let d = Forward {
                        delivery_id,
                        message_id,
                        attempt,
                        event_type,
                    };
                    d.run(api, endpoint, forward, headers, body, format, out)
                        .await?;
                }
                Ok(Line::Other) => {}
                Err(e) => eprintln!("hookctl listen: unreadable line ({e}): {text}"),
            }
        }
    }
}

struct Forward {
    delivery_id: String,
    message_id: String,
    attempt: i32,
    event_type: String,
}

impl Forward {
    /// POSTs one webhook to the local URL, reports the result, prints both.
    #[allow(clippy::too_many_arguments)]
    async fn run(
        &self,
        api: &Api,
        endpoint: &str,
        forward: &str,
        headers: BTreeMap<String, String>,
        body: String,
        format: Format,
        out: &mut dyn Write,
    ) -> Result<(), CliError> {
        let headers: Vec<(String, String)> = headers.into_iter().collect();
        let started = Instant::now();
        let answer = api
            .post_to(forward, &headers, Bytes::from(body), FORWARD_TIMEOUT)
            .await;
        let duration_ms = started.elapsed().as_millis().min(u32::MAX as u128) as u32;
        let (status, response_body, error) = match answer {
            Ok((status, body)) => (
                Some(status),
                Some(String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned()),
                None,
            ),
            Err(e) => (None, None, Some(e)),
        };
        let report = json!({
            "delivery_id": self.delivery_id,
            "attempt": self.attempt,
            "response_status": status,
            "response_body": response_body,
            "error": error,
            "duration_ms": duration_ms,
        });
        let recorded = api
            .send(
                Method::POST,
                &format!("/api/v1/endpoints/{endpoint}/listen/attempts"),
                Some(&report),
            )
            .await;
        let delivery_status = match &recorded {
            Ok(v) => v["status"].clone(),
            Err(e) => {
                // It comes again once its hold ends: the receiver sees the same webhook-id.
                eprintln!(
                    "hookctl listen: could not report delivery {}: {e}",
                    self.delivery_id
                );
                Value::Null
            }
        };
        match format {
            Format::Json => {
                let line = json!({
                    "delivery_id": self.delivery_id,
                    "message_id": self.message_id,
                    "event_type": self.event_type,
                    "attempt": self.attempt,
                    "response_status": status,
                    "error": error,
                    "duration_ms": duration_ms,
                    "delivery_status": delivery_status,
                });
                writeln!(out, "{line}")?;
            }
            Format::Table => {
                let answer = match (status, &error) {
                    (Some(s), _) => s.to_string(),
                    (None, Some(e)) => format!("error: {e}"),
                    (None, None) => "-".into(),
                };
                writeln!(
                    out,
                    "{}  {}  {}  attempt {}  -> {}  ({} ms)  {}",
                    chrono::Utc::now().format("%H:%M:%S"),
                    self.event_type,
                    self.message_id,
                    self.attempt,
                    answer,
                    duration_ms,
                    delivery_status.as_str().unwrap_or("not recorded"),
                )?;
            }
        }
        out.flush()?;
        Ok(())
    }
}
