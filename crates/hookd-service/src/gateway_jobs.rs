//! A due gateway event's job, built in one place for the delivery scheduler and the CLI relay
//! from the rows `hookd_db::gateway::dispatch` reads.

use hookd_bus::envelopes::DeliveryJob;
use hookd_db::gateway::dispatch::DueEvent;
use hookd_signing::SecretCipher;

/// The event's next try (`attempts + 1`) to `url`, before encoding. `cipher` opens the source's
/// verification configs only to name the inbound credential headers never forwarded.
pub fn gateway_job_of(e: &DueEvent, url: &str, cipher: &SecretCipher) -> DeliveryJob {
    let r = &e.request;
    let d = &e.destination;
    let strip = hookd_bus::sealed_credential_headers(
        cipher,
        r.verification_type.as_deref(),
        r.verification_configs.as_deref(),
    );
    hookd_bus::gateway_delivery_job(
        &hookd_bus::GatewayTry {
            event_id: e.id,
            request_id: r.id,
            organization_id: r.organization_id,
            attempt: (e.attempts + 1).max(1) as u32,
            trigger: &e.trigger,
            signing_revision: e.signing_revision,
            accepted_at_micros: r.created_at.timestamp_micros(),
        },
        &hookd_bus::GatewayRequest {
            method: &r.method,
            data: &r.data,
            body: &r.body,
            source_name: &r.source_name,
            verified: r.verified,
            credential_headers: &strip,
        },
        &hookd_bus::GatewayDestination {
            id: d.id,
            url,
            http_method: d.http_method.as_deref(),
            path_forwarding_disabled: d.path_forwarding_disabled,
            rate_limit: d.rate_limit,
            rate_limit_period: d.rate_limit_period.as_deref(),
            revision: d.revision,
        },
    )
}
