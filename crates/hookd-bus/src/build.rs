//! Building envelopes from domain records, so every publisher renders them alike.

use crate::current_traceparent;
use crate::envelopes::{DeliveryJob, GatewayDelivery, Header, MessageAccepted, RequestAccepted};
use hookd_domain::{EndpointRoute, Message, OperationalBody, WebhookBody, OPERATIONAL_VERSION};
use prost::Message as _;
use uuid::Uuid;

/// Microseconds since the Unix epoch: the clock of every timestamp an envelope carries (the
/// services share the host's clock, or NTP-synced ones, so hops between them are comparable).
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// The body an endpoint receives for `message`; an operational webhook's is Svix's shape.
pub fn webhook_body(message: &Message) -> Vec<u8> {
    let mut body = Vec::new();
    write_webhook_body(message, &mut body);
    body
}

/// The length of `webhook_body(message)`, without holding it: what a job of it is charged
/// before it is built (hookd-service's `JobBudget`).
pub fn webhook_body_len(message: &Message) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    write_webhook_body(message, &mut count);
    count.0
}

fn write_webhook_body(message: &Message, out: impl std::io::Write) {
    let written = if message.version == OPERATIONAL_VERSION {
        let body = OperationalBody {
            event_type: &message.event_type,
            timestamp: message.created_at,
            data: &message.data,
        };
        serde_json::to_writer(out, &body)
    } else {
        let body = WebhookBody {
            id: message.id,
            event_type: &message.event_type,
            version: &message.version,
            event_id: message.event_id.as_deref(),
            created_at: message.created_at,
            data: &message.data,
        };
        serde_json::to_writer(out, &body)
    };
    written.expect("body serialises");
}

/// The `MessageAccepted` envelope of a stored message, its body rendered once here.
pub fn message_accepted(
    message: &Message,
    app_id: Uuid,
    endpoint_id: Option<Uuid>,
    task_id: Option<Uuid>,
) -> MessageAccepted {
    MessageAccepted {
        message_id: message.id.to_string(),
        app_id: app_id.to_string(),
        event_type: message.event_type.clone(),
        version: message.version.clone(),
        payload: webhook_body(message),
        endpoint_id: endpoint_id.map(|e| e.to_string()),
        task_id: task_id.map(|t| t.to_string()),
        accepted_at_micros: message.created_at.timestamp_micros(),
        traceparent: current_traceparent(),
        batched: Vec::new(),
    }
}

/// The message side of a delivery job.
#[derive(Debug, Clone, Copy)]
pub struct JobMessage<'a> {
    pub id: Uuid,
    /// The body the endpoint receives (`webhook_body`).
    pub payload: &'a [u8],
    /// When ingest accepted the message, for end-to-end latency.
    pub accepted_at_micros: i64,
    pub task_id: Option<Uuid>,
}

/// Which try of which delivery a job is.
#[derive(Debug, Clone, Copy)]
pub struct JobTry {
    pub delivery_id: Uuid,
    /// 1 for the first.
    pub attempt: u32,
    /// Asked for by someone (a retry route): goes past an open circuit as its probe.
    pub explicit: bool,
    /// Of a fifo lane: the worker checks it is not a stale copy before it sends.
    pub ordered: bool,
}

/// The one builder of a `DeliveryJob`: try `t` from `message` to `endpoint`. The router's
/// fan-out and the delivery scheduler both call it. The job carries ids, the URL and the
/// payload, never a secret or a custom header.
pub fn delivery_job(t: JobTry, message: &JobMessage<'_>, endpoint: &EndpointRoute) -> DeliveryJob {
    DeliveryJob {
        delivery_id: t.delivery_id.to_string(),
        message_id: message.id.to_string(),
        endpoint_id: endpoint.id.to_string(),
        url: endpoint.url.clone(),
        payload: message.payload.to_vec(),
        attempt: t.attempt,
        accepted_at_micros: message.accepted_at_micros,
        task_id: message.task_id.map(|t| t.to_string()),
        rate_limit: endpoint.rate_limit.and_then(|r| u32::try_from(r).ok()),
        endpoint_revision: endpoint.revision,
        explicit: t.explicit,
        ordered: t.ordered,
        gateway: None,
        traceparent: current_traceparent(),
        // Built right before its publish.
        published_at_micros: now_micros(),
    }
}

/// The `RequestAccepted` envelope of a stored inbound request: ids only.
pub fn request_accepted(
    request_id: Uuid,
    source_id: Uuid,
    organization_id: Uuid,
    accepted_at_micros: i64,
) -> RequestAccepted {
    RequestAccepted {
        request_id: request_id.to_string(),
        source_id: source_id.to_string(),
        organization_id: organization_id.to_string(),
        accepted_at_micros,
        traceparent: current_traceparent(),
        batched: Vec::new(),
    }
}

/// One try of one gateway event, as the router and the scheduler know it.
#[derive(Debug, Clone, Copy)]
pub struct GatewayTry<'a> {
    pub event_id: Uuid,
    pub request_id: Uuid,
    pub organization_id: Uuid,
    /// 1 for the first.
    pub attempt: u32,
    pub trigger: &'a str,
    pub signing_revision: i64,
    /// When ingest accepted the request, for end-to-end latency.
    pub accepted_at_micros: i64,
}

/// The inbound request an event came from.
#[derive(Debug, Clone, Copy)]
pub struct GatewayRequest<'a> {
    pub method: &'a str,
    /// `{path, query, headers, ...}` as stored.
    pub data: &'a serde_json::Value,
    /// The raw body, byte for byte.
    pub body: &'a [u8],
    pub source_name: &'a str,
    pub verified: bool,
    /// Lower-case header names never forwarded: the source's verification credential.
    pub credential_headers: &'a [String],
}

/// Where an event goes.
#[derive(Debug, Clone, Copy)]
pub struct GatewayDestination<'a> {
    pub id: Uuid,
    pub url: &'a str,
    /// `None`: the inbound method.
    pub http_method: Option<&'a str>,
    pub path_forwarding_disabled: bool,
    pub rate_limit: Option<i32>,
    pub rate_limit_period: Option<&'a str>,
    pub revision: i64,
}

/// Headers a proxy never forwards (RFC 9110 7.6.1), and those the new request sets itself.
const NOT_FORWARDED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// The header names that carry a source's verification credential, given its verification
/// type and opened configs: they prove the request to hookd and are not forwarded (nor put on
/// the bus). Signature headers (HMAC and the providers') are not secrets and are forwarded.
pub fn credential_headers(kind: Option<&str>, configs: &serde_json::Value) -> Vec<String> {
    match kind {
        Some("BASIC_AUTH") => vec!["authorization".into()],
        Some("API_KEY") => configs["header_key"]
            .as_str()
            .map(|h| vec![h.to_ascii_lowercase()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The destination URL of an event: the destination's URL, the inbound path suffix (unless
/// path forwarding is disabled) and the inbound query.
pub fn gateway_url(
    destination: &str,
    path_forwarding_disabled: bool,
    data: &serde_json::Value,
) -> String {
    let mut url = destination.to_owned();
    let suffix = data["path"].as_str().unwrap_or("/");
    if !path_forwarding_disabled && suffix != "/" && !suffix.is_empty() {
        // `https://x/hook` + `/orders/7`: one slash between them.
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b.to_owned(), Some(q.to_owned())),
            None => (url.clone(), None),
        };
        url = format!(
            "{}/{}",
            base.trim_end_matches('/'),
            suffix.trim_start_matches('/')
        );
        if let Some(q) = query {
            url = format!("{url}?{q}");
        }
    }
    match data["query"].as_str() {
        Some(q) if !q.is_empty() => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}{q}")
        }
        _ => url,
    }
}

/// The one builder of a gateway `DeliveryJob`: try `t` of an event from `request` to
/// `destination`. The router and the delivery scheduler both call it. It carries the raw body,
/// the inbound headers to forward and ids, never a secret: the destination's auth credential
/// and the signing secret are opened by the worker.
pub fn gateway_job(
    t: &GatewayTry<'_>,
    request: &GatewayRequest<'_>,
    destination: &GatewayDestination<'_>,
) -> Vec<u8> {
    gateway_delivery_job(t, request, destination).encode_to_vec()
}

/// `gateway_job` before it is encoded: what the CLI relay hands out in place of a bus job.
pub fn gateway_delivery_job(
    t: &GatewayTry<'_>,
    request: &GatewayRequest<'_>,
    destination: &GatewayDestination<'_>,
) -> DeliveryJob {
    let headers = request.data["headers"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(name, _)| {
                    let name = name.to_ascii_lowercase();
                    !NOT_FORWARDED.contains(&name.as_str())
                        && !request.credential_headers.contains(&name)
                        && !name.starts_with("x-hookdeck-")
                })
                .filter_map(|(name, value)| {
                    Some(Header {
                        name: name.clone(),
                        value: value.as_str()?.to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    DeliveryJob {
        delivery_id: t.event_id.to_string(),
        message_id: t.request_id.to_string(),
        endpoint_id: destination.id.to_string(),
        url: gateway_url(
            destination.url,
            destination.path_forwarding_disabled,
            request.data,
        ),
        payload: request.body.to_vec(),
        attempt: t.attempt,
        accepted_at_micros: t.accepted_at_micros,
        task_id: None,
        rate_limit: None,
        endpoint_revision: destination.revision,
        ordered: false,
        gateway: Some(GatewayDelivery {
            event_id: t.event_id.to_string(),
            request_id: t.request_id.to_string(),
            organization_id: t.organization_id.to_string(),
            method: destination.http_method.unwrap_or(request.method).to_owned(),
            trigger: t.trigger.to_owned(),
            headers,
            source_name: request.source_name.to_owned(),
            verified: request.verified,
            rate_limit: destination.rate_limit.and_then(|r| u32::try_from(r).ok()),
            rate_limit_period: destination.rate_limit_period.map(str::to_owned),
            signing_revision: t.signing_revision,
        }),
        // A try someone asked for goes past an open circuit, as its probe.
        explicit: matches!(t.trigger, "MANUAL" | "BULK_RETRY"),
        traceparent: current_traceparent(),
        published_at_micros: now_micros(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_url_takes_the_suffix_and_the_query() {
        let data = json!({"path": "/orders/7", "query": "x=1&y=2"});
        assert_eq!(
            gateway_url("https://d.example/hook/", false, &data),
            "https://d.example/hook/orders/7?x=1&y=2"
        );
        assert_eq!(
            gateway_url("https://d.example/hook?k=v", false, &data),
            "https://d.example/hook/orders/7?k=v&x=1&y=2"
        );
        assert_eq!(
            gateway_url("https://d.example/hook", true, &data),
            "https://d.example/hook?x=1&y=2"
        );
        let root = json!({"path": "/", "query": ""});
        assert_eq!(
            gateway_url("https://d.example/hook", false, &root),
            "https://d.example/hook"
        );
    }

    #[test]
    fn the_body_length_is_the_rendered_body_s() {
        for version in ["1.0", OPERATIONAL_VERSION] {
            let message = Message {
                id: Uuid::nil(),
                event_type: "user.created".into(),
                version: version.into(),
                event_id: Some("e-1".into()),
                data: json!({"name": "ü", "n": [1, 2, 3]}),
                created_at: Default::default(),
                expunged_at: None,
            };
            assert_eq!(webhook_body_len(&message), webhook_body(&message).len());
        }
    }

    #[test]
    fn credentials_and_hop_by_hop_headers_are_not_forwarded() {
        let data = json!({"path": "/", "query": "", "headers": {
            "host": "h", "content-length": "3", "connection": "keep-alive",
            "x-api-key": "secret", "x-shop": "eu", "x-hookdeck-eventid": "forged"}});
        let strip = credential_headers(
            Some("API_KEY"),
            &json!({"header_key": "X-API-Key", "api_key": "secret"}),
        );
        let job = gateway_job(
            &GatewayTry {
                event_id: Uuid::nil(),
                request_id: Uuid::nil(),
                organization_id: Uuid::nil(),
                attempt: 1,
                trigger: "INITIAL",
                signing_revision: 1,
                accepted_at_micros: 0,
            },
            &GatewayRequest {
                method: "POST",
                data: &data,
                body: b"abc",
                source_name: "s",
                verified: true,
                credential_headers: &strip,
            },
            &GatewayDestination {
                id: Uuid::nil(),
                url: "http://d",
                http_method: None,
                path_forwarding_disabled: false,
                rate_limit: None,
                rate_limit_period: None,
                revision: 1,
            },
        );
        let job = DeliveryJob::decode(job.as_slice()).unwrap();
        let names: Vec<_> = job
            .gateway
            .unwrap()
            .headers
            .into_iter()
            .map(|h| h.name)
            .collect();
        assert_eq!(names, vec!["x-shop".to_owned()]);
        assert_eq!(job.payload, b"abc");
    }
}
