//! The relay's feed of a `/api/v1` cli endpoint: its parked or due deliveries
//! (`hookd_db::cli_relay`), each signed as a worker would sign it.

use crate::relay::{line, Feed};
use crate::state::AppState;
use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use hookd_db::cli_relay::Handout;
use hookd_db::DbError;
use hookd_signing::SigningKey;
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// One line of the stream.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ListenLine {
    /// First line: the stream is open and deliveries flow.
    Connected { endpoint_id: Uuid },
    /// A webhook to forward: POST `body` with `headers` (Standard Webhooks signature included),
    /// then report the result to `POST .../listen/attempts`.
    Delivery {
        delivery_id: Uuid,
        message_id: Uuid,
        /// The try this is (1-based): the report carries it back.
        attempt: i32,
        event_type: String,
        headers: BTreeMap<String, String>,
        /// The raw body, byte for byte what the signature covers.
        body: String,
    },
}

/// The deliveries of one cli endpoint.
pub struct EndpointFeed {
    pub endpoint_id: Uuid,
}

impl Feed for EndpointFeed {
    type Held = Handout;

    fn connected(&self) -> Bytes {
        line(&ListenLine::Connected {
            endpoint_id: self.endpoint_id,
        })
    }

    async fn claim(
        &self,
        state: &AppState,
        client: &hookd_db::Client,
        room: i64,
        until: DateTime<Utc>,
    ) -> Result<Vec<(Handout, Option<Bytes>)>, DbError> {
        let claimed = hookd_db::cli_relay::claim(client, self.endpoint_id, room, until).await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let signing = hookd_db::endpoints::signing(client, self.endpoint_id).await?;
        let Some(keys) = open_keys(state, self.endpoint_id, &signing.sealed_secrets) else {
            // Never an unsigned webhook: what was claimed waits for its lease.
            return Ok(claimed.into_iter().map(|h| (h, None)).collect());
        };
        let extra: Vec<(String, String)> = signing
            .headers
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(claimed
            .into_iter()
            .map(|h| {
                let out = signed(&h, &keys, &extra);
                (h, Some(out))
            })
            .collect())
    }

    async fn still_held(
        &self,
        client: &hookd_db::Client,
        held: &mut Vec<Handout>,
    ) -> Result<(), DbError> {
        let still = hookd_db::cli_relay::still_held(client, held).await?;
        held.retain(|h| still.contains(&h.delivery_id));
        Ok(())
    }

    async fn release(&self, client: &hookd_db::Client, held: &[Handout]) -> Result<u64, DbError> {
        hookd_db::cli_relay::release(client, held).await
    }
}

/// The line of one delivery, signed.
fn signed(h: &Handout, keys: &[SigningKey], extra: &[(String, String)]) -> Bytes {
    let _step = tracing::info_span!("cli_relay.hand_out", delivery_id = %h.delivery_id,
        message_id = %h.message.id, attempt = h.attempt)
    .entered();
    let body = hookd_bus::webhook_body(&h.message);
    let timestamp = Utc::now().timestamp();
    let id = h.message.id.to_string();
    let mut headers: BTreeMap<String, String> = extra.iter().cloned().collect();
    headers.insert("content-type".into(), "application/json".into());
    headers.insert(
        "user-agent".into(),
        concat!("hookd/", env!("CARGO_PKG_VERSION")).into(),
    );
    headers.insert(
        "webhook-signature".into(),
        hookd_signing::signature_header(keys, &id, timestamp, &body),
    );
    headers.insert("webhook-timestamp".into(), timestamp.to_string());
    headers.insert("webhook-id".into(), id);
    tracing::info!("handed to hookctl listen");
    line(&ListenLine::Delivery {
        delivery_id: h.delivery_id,
        message_id: h.message.id,
        attempt: h.attempt,
        event_type: h.message.event_type.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn open_keys(state: &AppState, endpoint_id: Uuid, sealed: &[String]) -> Option<Vec<SigningKey>> {
    let opened: Result<Vec<SigningKey>, String> = sealed
        .iter()
        .map(|s| {
            let secret = state.cipher.open(s).map_err(|e| e.to_string())?;
            SigningKey::parse(&secret).map_err(|e| e.to_string())
        })
        .collect();
    match opened {
        Ok(keys) => Some(keys),
        Err(e) => {
            tracing::error!(%endpoint_id, error = %e, "cannot sign for the cli endpoint; nothing handed out");
            None
        }
    }
}
