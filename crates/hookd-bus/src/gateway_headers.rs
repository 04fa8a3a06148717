//! The headers a gateway event is delivered with, for a worker's POST and for a CLI's forward
//! alike: the inbound request's forwarded headers, the `x-hookdeck-*` ones and the
//! organization's signatures of the body (the destination's auth credential, a worker's
//! concern, aside).

use crate::envelopes::{DeliveryJob, GatewayDelivery};

/// An organization's gateway signing secrets, opened: the current one, and the previous one
/// while its grace lasts.
pub struct GatewaySigning<'a> {
    pub current: &'a str,
    pub previous: Option<&'a str>,
}

/// `credential_headers` of a source's sealed verification configs (opened with `cipher`;
/// configs that do not open name none).
pub fn sealed_credential_headers(
    cipher: &hookd_signing::SecretCipher,
    kind: Option<&str>,
    sealed_configs: Option<&str>,
) -> Vec<String> {
    let configs = sealed_configs
        .and_then(|sealed| cipher.open(sealed).ok())
        .and_then(|plain| serde_json::from_str(&plain).ok())
        .unwrap_or(serde_json::Value::Null);
    crate::credential_headers(kind, &configs)
}

/// Ids as the API shows them (`evt_…`), so a receiver can look the event up.
pub fn shown_id(prefix: &str, id: &str) -> String {
    match uuid::Uuid::parse_str(id) {
        Ok(u) => format!("{prefix}{}", u.simple()),
        Err(_) => id.to_owned(),
    }
}

/// The headers of try `job.attempt` of the job's event.
pub fn gateway_headers(
    job: &DeliveryJob,
    gw: &GatewayDelivery,
    signing: &GatewaySigning<'_>,
) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = gw
        .headers
        .iter()
        .map(|h| (h.name.clone(), h.value.clone()))
        .collect();
    let attempt = job.attempt.max(1).to_string();
    let event_id = shown_id("evt_", &gw.event_id);
    let request_id = shown_id("req_", &gw.request_id);
    for (name, value) in [
        ("x-hookdeck-eventid", event_id.as_str()),
        ("x-hookdeck-requestid", request_id.as_str()),
        ("x-hookdeck-source-name", gw.source_name.as_str()),
        ("x-hookdeck-attempt-count", attempt.as_str()),
        ("x-hookdeck-attempt-trigger", gw.trigger.as_str()),
        (
            "x-hookdeck-verified",
            if gw.verified { "true" } else { "false" },
        ),
        ("idempotency-key", event_id.as_str()),
    ] {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.into(), value.into()));
    }
    headers.push((
        "x-hookdeck-signature".into(),
        hookd_signing::hookdeck_signature(signing.current, &job.payload),
    ));
    if let Some(previous) = signing.previous {
        headers.push((
            "x-hookdeck-signature-2".into(),
            hookd_signing::hookdeck_signature(previous, &job.payload),
        ));
    }
    headers
}
