//! `hookctl listen`: forwards live deliveries to a local URL, printing each with its status,
//! and reports each result to hookd. Two kinds of stream: a `/api/v1` cli endpoint's deliveries
//! (`--endpoint`), or a gateway source's events for its CLI destinations (`--source`, Hookdeck's
//! `listen <port> <source>`). Reconnects by itself; while it is away what it would get waits.

use crate::client::Api;
use crate::error::CliError;
use crate::listen_forward::Forward;
use crate::output::Format;
use bytes::BytesMut;
use clap::{Arg, ArgGroup, ArgMatches, Command};
use http_body_util::BodyExt;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

/// The server writes at least a blank line every few seconds: a silence this long is a dead link.
const SILENCE: Duration = Duration::from_secs(30);
/// The wait before connecting again after the stream ended.
const RECONNECT: Duration = Duration::from_secs(1);

pub fn command() -> Command {
    Command::new("listen")
        .about("Forwards live deliveries (a cli endpoint's, or a gateway source's) to a local URL")
        .long_about(
            "Forwards, as they happen, either the deliveries of a cli endpoint (created with \
             \"kind\": \"cli\"; --endpoint) to the --forward URL, signed as hookd signs any webhook \
             (webhook-id, webhook-timestamp, webhook-signature), or a gateway source's events for \
             its CLI destinations (destinations with a cli_path and no url; --source) to the \
             --forward URL followed by the destination's cli_path and the request's path, with \
             the x-hookdeck-* headers and signature. Prints each with the local answer. A 2xx \
             delivers it; anything else is a failed try, retried on the endpoint's schedule or \
             the connection's retry rule. While no `hookctl listen` runs, they wait and nothing \
             is lost; one handed out but not answered when it stops comes again (same webhook-id \
             or x-hookdeck-eventid: deduplicate by it). Runs until stopped (Ctrl-C), \
             reconnecting by itself.",
        )
        .after_help(
            "Examples:\n  \
             hookctl endpoints create --subscription SUB_ID \\\n      \
             --data '{\"kind\": \"cli\", \"event_types\": [\"user.created\"]}'\n  \
             hookctl listen --endpoint ENDPOINT_ID --forward http://localhost:3000/webhooks\n  \
             hookctl listen --endpoint ENDPOINT_ID --forward http://localhost:3000/webhooks --output json\n  \
             hookctl connections create --data \\\n      \
             '{\"name\":\"shop-cli\",\"source\":{\"name\":\"shop\"},\"destination\":{\"name\":\"cli\",\"cli_path\":\"/webhooks\"}}'\n  \
             hookctl listen --source shop --forward http://localhost:3000",
        )
        .arg(
            Arg::new("endpoint")
                .long("endpoint")
                .value_name("ENDPOINT_ID")
                .help("The cli endpoint's id"),
        )
        .arg(
            Arg::new("source")
                .long("source")
                .value_name("SOURCE")
                .help("The gateway source's name or id (src_...): its CLI destinations' events"),
        )
        .group(
            ArgGroup::new("stream")
                .args(["endpoint", "source"])
                .required(true),
        )
        .arg(
            Arg::new("forward")
                .long("forward")
                .required(true)
                .value_name("URL")
                .help(
                    "Where to send each webhook (http://localhost:3000/webhooks); with --source, \
                     the base the destination's cli_path is appended to (http://localhost:3000)",
                ),
        )
}

/// What is listened to.
pub enum Target {
    Endpoint(String),
    Source(String),
}

impl Target {
    fn stream_path(&self) -> String {
        match self {
            Target::Endpoint(id) => format!("/api/v1/endpoints/{id}/listen"),
            Target::Source(s) => format!("/2024-03-01/cli/sources/{}/listen", encode(s)),
        }
    }

    /// Where each forward is reported.
    pub fn report_path(&self) -> String {
        format!("{}/attempts", self.stream_path())
    }
}

/// A source name as one path segment.
fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// One line of either stream.
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
    Event {
        event_id: String,
        request_id: String,
        destination_id: String,
        attempt: i32,
        method: String,
        path: String,
        headers: BTreeMap<String, String>,
        body: Option<String>,
        body_base64: Option<String>,
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
    let target = match (
        args.get_one::<String>("endpoint"),
        args.get_one::<String>("source"),
    ) {
        (Some(e), _) => Target::Endpoint(e.clone()),
        (None, Some(s)) => Target::Source(s.clone()),
        (None, None) => return Err(CliError::usage("--endpoint or --source is required")),
    };
    let forward = args.get_one::<String>("forward").expect("required");
    let parsed = url::Url::parse(forward)
        .map_err(|e| CliError::usage(format!("--forward {forward}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(CliError::usage("--forward must be an http(s) URL"));
    }
    let path = target.stream_path();
    let mut connected_once = false;
    loop {
        match api.open_stream(&path).await {
            Ok(body) => {
                let ended = follow(api, &target, forward, body, format, out).await?;
                connected_once = true;
                eprintln!("hookctl listen: disconnected ({ended}); reconnecting");
            }
            // Nothing to listen to there, or the key is wrong: retrying cannot help.
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
    target: &Target,
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
            let forwarded = match serde_json::from_str::<Line>(&text) {
                Ok(Line::Connected {}) => {
                    let what = match target {
                        Target::Endpoint(e) => format!("endpoint {e}"),
                        Target::Source(s) => format!("source {s}"),
                    };
                    eprintln!("hookctl listen: ready, forwarding {what} to {forward}");
                    continue;
                }
                Ok(Line::Delivery {
                    delivery_id,
                    message_id,
                    attempt,
                    event_type,
                    headers,
                    body,
                }) => Forward::delivery(
                    forward,
                    delivery_id,
                    message_id,
                    attempt,
                    event_type,
                    headers,
                    body,
                ),
                Ok(Line::Event {
                    event_id,
                    request_id,
                    destination_id,
                    attempt,
                    method,
                    path,
                    headers,
                    body,
                    body_base64,
                }) => Forward::event(
                    forward,
                    [event_id, request_id, destination_id],
                    attempt,
                    method,
                    &path,
                    headers,
                    body,
                    body_base64,
                ),
                Ok(Line::Other) => continue,
                Err(e) => {
                    eprintln!("hookctl listen: unreadable line ({e}): {text}");
                    continue;
                }
            };
            match forwarded {
                Ok(f) => f.run(api, target, format, out).await?,
                Err(e) => eprintln!("hookctl listen: {e}"),
            }
        }
    }
}
