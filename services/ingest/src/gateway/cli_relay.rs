//! The relay's feed of a gateway source (`hookctl listen --source`): the parked events of its
//! CLI destinations (`hookd_db::gateway::cli_relay`), each as the destination's worker would
//! send it (the one job builder, the one header builder), with the path to append to the
//! CLI's local URL: the destination's `cli_path` and the inbound path and query.

use super::ids;
use crate::relay::{line, Feed};
use crate::state::AppState;
use actix_web::web::Bytes;
use base64::Engine;
use chrono::{DateTime, Utc};
use hookd_db::gateway::cli_relay::{self, GatewayHandout};
use hookd_db::DbError;
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// One line of a source's stream.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SourceListenLine {
    /// First line: the stream is open and events flow.
    Connected {
        source_id: String,
        source_name: String,
    },
    /// An event to forward: send `method` to the local URL followed by `path`, with `headers`
    /// and the body, then report the result to `POST .../listen/attempts`.
    Event {
        event_id: String,
        request_id: String,
        destination_id: String,
        /// The try this is (1-based): the report carries it back.
        attempt: i32,
        method: String,
        /// The destination's `cli_path`, then the inbound path (unless path forwarding is
        /// disabled) and query.
        path: String,
        /// The forwarded headers, `x-hookdeck-*` and the signatures.
        headers: BTreeMap<String, String>,
        /// The raw body when it is UTF-8.
        #[serde(skip_serializing_if = "Option::is_none")]
        body: Option<String>,
        /// The raw body in base64 when it is not UTF-8.
        #[serde(skip_serializing_if = "Option::is_none")]
        body_base64: Option<String>,
    },
}

/// The events of one source's CLI destinations.
pub struct SourceFeed {
    pub source_id: Uuid,
    pub source_name: String,
    pub organization_id: Uuid,
}

impl Feed for SourceFeed {
    type Held = GatewayHandout;

    fn connected(&self) -> Bytes {
        line(&SourceListenLine::Connected {
            source_id: ids::format(ids::SOURCE, self.source_id),
            source_name: self.source_name.clone(),
        })
    }

    async fn claim(
        &self,
        state: &AppState,
        client: &hookd_db::Client,
        room: i64,
        until: DateTime<Utc>,
    ) -> Result<Vec<(GatewayHandout, Option<Bytes>)>, DbError> {
        let claimed = cli_relay::claim(client, self.source_id, room, until).await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let fresh = state.cipher.seal(&hookd_signing::generate_gateway_secret());
        let stored =
            hookd_db::gateway::signing::get_or_create(client, self.organization_id, &fresh).await?;
        let now = Utc::now();
        let opened = state.cipher.open(&stored.secret).and_then(|current| {
            let previous = match (&stored.previous, stored.previous_until) {
                (Some(sealed), Some(until)) if until > now => Some(state.cipher.open(sealed)?),
                _ => None,
            };
            Ok((current, previous))
        });
        let (current, previous) = match opened {
            Ok(keys) => keys,
            Err(e) => {
                // Never an unsigned event: what was claimed waits for its lease.
                tracing::error!(error = %e, "cannot open the gateway signing secret; nothing handed out");
                return Ok(claimed.into_iter().map(|h| (h, None)).collect());
            }
        };
        let signing = hookd_bus::GatewaySigning {
            current: &current,
            previous: previous.as_deref(),
        };
        Ok(claimed
            .into_iter()
            .map(|h| {
                let out = event_line(state, &h, &signing);
                (h, Some(out))
            })
            .collect())
    }

    async fn still_held(
        &self,
        client: &hookd_db::Client,
        held: &mut Vec<GatewayHandout>,
    ) -> Result<(), DbError> {
        let still = cli_relay::still_held(client, held).await?;
        held.retain(|h| still.contains(&h.event.id));
        Ok(())
    }

    async fn release(
        &self,
        client: &hookd_db::Client,
        held: &[GatewayHandout],
    ) -> Result<u64, DbError> {
        cli_relay::release(client, held).await
    }
}

/// The line of one event, built in a step of its inbound request's trace.
fn event_line(state: &AppState, h: &GatewayHandout, signing: &hookd_bus::GatewaySigning) -> Bytes {
    let e = &h.event;
    let r = &e.request;
    let d = &e.destination;
    let span = tracing::info_span!("cli_relay.hand_out", event_id = %e.id,
        attempt = h.attempt(), trigger = %e.trigger);
    let span = hookd_bus::continue_trace(span, r.traceparent.as_deref());
    let _step = span.enter();
    let job = hookd_service::gateway_job_of(e, &h.cli_path, &state.cipher);
    let gw = job.gateway.as_ref().expect("a gateway job");
    let headers: BTreeMap<String, String> = hookd_bus::gateway_headers(&job, gw, signing)
        .into_iter()
        .collect();
    let (body, body_base64) = match std::str::from_utf8(&job.payload) {
        Ok(text) => (Some(text.to_owned()), None),
        Err(_) => (
            None,
            Some(base64::engine::general_purpose::STANDARD.encode(&job.payload)),
        ),
    };
    tracing::info!("handed to hookctl listen");
    line(&SourceListenLine::Event {
        event_id: ids::format(ids::EVENT, e.id),
        request_id: ids::format(ids::REQUEST, r.id),
        destination_id: ids::format(ids::DESTINATION, d.id),
        attempt: h.attempt(),
        method: gw.method.clone(),
        path: job.url.clone(),
        headers,
        body,
        body_base64,
    })
}
