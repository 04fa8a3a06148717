use crate::signing::Signing;
use hookd_bus::envelopes::DeliveryJob;
use hookd_outbound::{OutboundClient, OutboundRequest, SendError, TlsCause};
use hookd_signing::signature_header;
use std::time::{Duration, Instant};

/// Stored response bodies are cut to this.
pub(crate) const STORED_BODY: usize = 4096;

/// What one HTTP try returned.
#[derive(Debug)]
pub struct TryResult {
    pub status: Option<u16>,
    pub body: Option<String>,
    pub error: Option<String>,
    /// A gateway attempt's `error_code` when no answer came (TIMEOUT, ...).
    pub error_code: Option<String>,
    pub duration: Duration,
    pub retry_after: Option<Duration>,
}

impl TryResult {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A try that was not sent: it failed before any request (the webhook could not be signed).
pub fn not_sent(error: String) -> TryResult {
    TryResult {
        status: None,
        body: None,
        error: Some(error),
        error_code: Some("UNKNOWN".into()),
        duration: Duration::ZERO,
        retry_after: None,
    }
}

/// Signs the job's payload (Standard Webhooks) and POSTs it once, with the endpoint's headers.
pub async fn try_once(client: &OutboundClient, job: &DeliveryJob, signing: &Signing) -> TryResult {
    let timestamp = chrono::Utc::now().timestamp();
    let mut headers = signing.headers.clone();
    headers.push(("webhook-id".into(), job.message_id.clone()));
    headers.push(("webhook-timestamp".into(), timestamp.to_string()));
    headers.push((
        "webhook-signature".into(),
        signature_header(&signing.keys, &job.message_id, timestamp, &job.payload),
    ));
    let request = OutboundRequest {
        method: None,
        url: job.url.clone(),
        headers,
        body: job.payload.clone().into(),
    };
    send_once(client, request).await
}

/// Sends one request and tells what came of it: the one way every try (an endpoint's or a
/// gateway destination's) is made and described.
pub async fn send_once(client: &OutboundClient, request: OutboundRequest) -> TryResult {
    let started = Instant::now();
    match client.post(request).await {
        Ok(response) => {
            let cut = &response.body[..response.body.len().min(STORED_BODY)];
            TryResult {
                status: Some(response.status),
                // PostgreSQL's text has no NUL: one would make the record fail at every try.
                body: Some(String::from_utf8_lossy(cut).replace('\0', "\u{fffd}")),
                error: None,
                error_code: None,
                duration: started.elapsed(),
                retry_after: response.retry_after,
            }
        }
        Err(e) => TryResult {
            status: None,
            body: None,
            error: Some(describe(&e)),
            error_code: Some(error_code(&e).to_owned()),
            duration: started.elapsed(),
            retry_after: None,
        },
    }
}

/// The gateway's `error_code` of a try that got no answer.
fn error_code(e: &SendError) -> &'static str {
    match e {
        SendError::Timeout(_) => "TIMEOUT",
        SendError::Connect(_) => "CONNECTION_REFUSED",
        // Hookdeck's codes for certificate failures.
        SendError::Tls { cause, .. } => match cause {
            TlsCause::UnknownIssuer => "SSL_ERROR_CA_UNKNOWN",
            TlsCause::Expired => "SSL_CERT_EXPIRED",
            TlsCause::NameMismatch => "ERR_TLS_CERT_ALTNAME_INVALID",
            TlsCause::Other => "PROTOCOL_ERROR",
        },
        SendError::InvalidUrl(_) => "MISSING_URL",
        SendError::Blocked(_) | SendError::Request(_) => "UNKNOWN",
    }
}

pub(crate) fn describe(e: &SendError) -> String {
    let text = e.to_string();
    text.chars().take(1000).collect()
}
