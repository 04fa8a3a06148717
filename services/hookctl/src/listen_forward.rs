//! One forward of `hookctl listen`: the request sent to the local URL, its result reported to
//! hookd and printed (a cli endpoint's delivery, or a gateway event of a CLI destination).

use crate::client::Api;
use crate::error::CliError;
use crate::listen::Target;
use crate::output::Format;
use base64::Engine;
use bytes::Bytes;
use http::Method;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

/// A forward that takes longer is a failed try (hookd's default delivery timeout).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(15);

pub struct Forward {
    /// The report's id field and value (`delivery_id` or `event_id`).
    report_id: (&'static str, String),
    /// The ids printed with `--output json`.
    shown: Map<String, Value>,
    /// What the table shows first: the event type, or the method and path.
    label: String,
    /// The id the table shows.
    table_id: String,
    /// The key of the status hookd answered, in `--output json`.
    status_key: &'static str,
    attempt: i32,
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Forward {
    /// A cli endpoint's delivery: POSTed to the `--forward` URL as it is.
    pub fn delivery(
        forward: &str,
        delivery_id: String,
        message_id: String,
        attempt: i32,
        event_type: String,
        headers: BTreeMap<String, String>,
        body: String,
    ) -> Result<Self, String> {
        let mut shown = Map::new();
        shown.insert("delivery_id".into(), json!(delivery_id));
        shown.insert("message_id".into(), json!(message_id));
        shown.insert("event_type".into(), json!(event_type));
        Ok(Self {
            report_id: ("delivery_id", delivery_id),
            shown,
            label: event_type,
            table_id: message_id,
            status_key: "delivery_status",
            attempt,
            method: Method::POST,
            url: forward.to_owned(),
            headers: headers.into_iter().collect(),
            body: Bytes::from(body),
        })
    }

    /// A gateway event: sent with its method to the `--forward` URL followed by `path` (the
    /// destination's cli_path and the request's path and query).
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        forward: &str,
        [event_id, request_id, destination_id]: [String; 3],
        attempt: i32,
        method: String,
        path: &str,
        headers: BTreeMap<String, String>,
        body: Option<String>,
        body_base64: Option<String>,
    ) -> Result<Self, String> {
        let body = match (body, body_base64) {
            (Some(text), _) => Bytes::from(text),
            (None, Some(b64)) => Bytes::from(
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| format!("event {event_id}: unreadable body: {e}"))?,
            ),
            (None, None) => Bytes::new(),
        };
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|e| format!("event {event_id}: method {method}: {e}"))?;
        let slash = if path.starts_with('/') { "" } else { "/" };
        let url = format!("{}{slash}{path}", forward.trim_end_matches('/'));
        let mut shown = Map::new();
        shown.insert("event_id".into(), json!(event_id));
        shown.insert("request_id".into(), json!(request_id));
        shown.insert("destination_id".into(), json!(destination_id));
        shown.insert("method".into(), json!(method.as_str()));
        shown.insert("url".into(), json!(url));
        Ok(Self {
            report_id: ("event_id", event_id.clone()),
            shown,
            label: format!("{method} {path}"),
            table_id: event_id,
            status_key: "event_status",
            attempt,
            method,
            url,
            headers: headers.into_iter().collect(),
            body,
        })
    }

    /// Sends it to the local URL, reports the result, prints both.
    pub async fn run(
        self,
        api: &Api,
        target: &Target,
        format: Format,
        out: &mut dyn Write,
    ) -> Result<(), CliError> {
        let started = Instant::now();
        let answer = api
            .send_to(
                self.method.clone(),
                &self.url,
                &self.headers,
                self.body.clone(),
                FORWARD_TIMEOUT,
            )
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
        let mut report = json!({
            "attempt": self.attempt,
            "response_status": status,
            "response_body": response_body,
            "error": error,
            "duration_ms": duration_ms,
        });
        report[self.report_id.0] = json!(self.report_id.1);
        if let Target::Source(_) = target {
            report["url"] = json!(self.url);
            report["error_code"] = json!(error.as_deref().map(error_code));
        }
        let recorded = api
            .send(Method::POST, &target.report_path(), Some(&report))
            .await;
        let hookd_status = match &recorded {
            Ok(v) => v["status"].clone(),
            Err(e) => {
                // It comes again once its hold ends: the receiver sees the same id.
                eprintln!(
                    "hookctl listen: could not report {} {}: {e}",
                    self.report_id.0, self.report_id.1
                );
                Value::Null
            }
        };
        match format {
            Format::Json => {
                let mut line = self.shown;
                line.insert("attempt".into(), json!(self.attempt));
                line.insert("response_status".into(), json!(status));
                line.insert("error".into(), json!(error));
                line.insert("duration_ms".into(), json!(duration_ms));
                line.insert(self.status_key.into(), hookd_status);
                writeln!(out, "{}", Value::Object(line))?;
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
                    self.label,
                    self.table_id,
                    self.attempt,
                    answer,
                    duration_ms,
                    hookd_status.as_str().unwrap_or("not recorded"),
                )?;
            }
        }
        out.flush()?;
        Ok(())
    }
}

/// The gateway's `error_code` of a forward that got no answer.
fn error_code(error: &str) -> &'static str {
    let e = error.to_ascii_lowercase();
    if e.contains("no answer within") || e.contains("timed out") {
        "TIMEOUT"
    } else if e.contains("refused") {
        "CONNECTION_REFUSED"
    } else {
        "UNKNOWN"
    }
}
