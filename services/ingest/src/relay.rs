//! The CLI relay: one task per connected `hookctl listen`, handing the `cli` endpoint's due
//! deliveries down its stream (one JSON object per line), signed as a worker would sign them.
//! At most `WINDOW` are held unreported at once; what is held when the stream ends (the CLI
//! went away, or ingest stops) is released at once for the next CLI, and what a crash keeps
//! held comes back when its lease runs out (`hookd_db::cli_relay`).

use crate::state::AppState;
use actix_web::web;
use actix_web::web::Bytes;
use hookd_db::cli_relay::Handout;
use hookd_signing::SigningKey;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::Instrument;
use uuid::Uuid;

/// Deliveries a CLI holds unreported at most: it forwards one at a time, so more would only
/// wait (and their leases run) in its buffer.
const WINDOW: usize = 8;
/// How often the relay looks for deliveries that became due.
const POLL: Duration = Duration::from_millis(300);
/// A blank line this often while idle: a CLI that went away is noticed (the write fails) and
/// what it held released, and proxies keep the stream open.
const KEEPALIVE: Duration = Duration::from_secs(2);

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

fn line(l: &ListenLine) -> Bytes {
    let mut bytes = serde_json::to_vec(l).expect("a listen line serialises");
    bytes.push(b'\n');
    Bytes::from(bytes)
}

/// Starts the relay of `endpoint_id`; the stream it feeds ends when the relay does.
pub fn start(
    state: web::Data<AppState>,
    endpoint_id: Uuid,
) -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> {
    let (tx, rx) = mpsc::channel::<Bytes>(WINDOW * 2);
    let span = tracing::info_span!("ingest.cli_relay", %endpoint_id);
    tokio::spawn(run(state, endpoint_id, tx).instrument(span));
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|b| (Ok(b), rx)) },
    )
}

async fn run(state: web::Data<AppState>, endpoint_id: Uuid, tx: mpsc::Sender<Bytes>) {
    tracing::info!("hookctl listen connected");
    let mut held: Vec<Handout> = Vec::new();
    if tx
        .send(line(&ListenLine::Connected { endpoint_id }))
        .await
        .is_ok()
    {
        serve(&state, endpoint_id, &tx, &mut held).await;
    }
    if !held.is_empty() {
        match release(&state, &held).await {
            Ok(n) => tracing::info!(
                released = n,
                "hookctl listen went away; its deliveries wait for the next"
            ),
            // Their leases run out and bring them back.
            Err(e) => {
                tracing::warn!(error = %e, "could not release a CLI's deliveries; their leases will")
            }
        }
    } else {
        tracing::info!("hookctl listen went away");
    }
}

async fn release(state: &AppState, held: &[Handout]) -> Result<u64, hookd_db::DbError> {
    let client = state.pool.get().await?;
    hookd_db::cli_relay::release(&client, held).await
}

/// Hands out deliveries until the stream closes or ingest stops; `held` keeps what was handed.
async fn serve(
    state: &AppState,
    endpoint_id: Uuid,
    tx: &mpsc::Sender<Bytes>,
    held: &mut Vec<Handout>,
) {
    // A forward may take the whole delivery timeout; the lease covers a full window of them.
    let lease = state.settings.delivery.timeout * (WINDOW as u32) + Duration::from_secs(60);
    let mut idle_since = tokio::time::Instant::now();
    loop {
        match hand_out(state, endpoint_id, tx, held, lease).await {
            Ok(true) => idle_since = tokio::time::Instant::now(),
            Ok(false) => {}
            Err(Closed) => return,
        }
        if idle_since.elapsed() >= KEEPALIVE {
            if tx.send(Bytes::from_static(b"\n")).await.is_err() {
                return;
            }
            idle_since = tokio::time::Instant::now();
        }
        tokio::select! {
            _ = tx.closed() => return,
            _ = state.stopping.cancelled() => return,
            _ = tokio::time::sleep(POLL) => {}
        }
    }
}

struct Closed;

/// One round: forget what was reported, claim up to the window, send. `Ok(true)` when it sent.
async fn hand_out(
    state: &AppState,
    endpoint_id: Uuid,
    tx: &mpsc::Sender<Bytes>,
    held: &mut Vec<Handout>,
    lease: Duration,
) -> Result<bool, Closed> {
    let claimed = async {
        let client = state.pool.get().await?;
        if !held.is_empty() {
            let still = hookd_db::cli_relay::still_held(&client, held).await?;
            held.retain(|h| still.contains(&h.delivery_id));
        }
        let room = WINDOW.saturating_sub(held.len());
        if room == 0 {
            return Ok((Vec::new(), None));
        }
        let until = chrono::Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
        let claimed = hookd_db::cli_relay::claim(&client, endpoint_id, room as i64, until).await?;
        let signing = if claimed.is_empty() {
            None
        } else {
            Some(hookd_db::endpoints::signing(&client, endpoint_id).await?)
        };
        Ok::<_, hookd_db::DbError>((claimed, signing))
    }
    .await;
    let (claimed, signing) = match claimed {
        Ok(c) => c,
        Err(e) => {
            // The database is away: the CLI keeps its stream and gets deliveries once it is back.
            tracing::warn!(error = %e, "cli relay: cannot read deliveries");
            return Ok(false);
        }
    };
    let Some(signing) = signing else {
        return Ok(false);
    };
    let keys = match open_keys(state, endpoint_id, &signing.sealed_secrets) {
        Some(keys) => keys,
        None => {
            // Never an unsigned webhook: what was claimed waits for its lease.
            held.extend(claimed);
            return Ok(false);
        }
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
    for h in claimed {
        let body = hookd_bus::webhook_body(&h.message);
        let timestamp = chrono::Utc::now().timestamp();
        let id = h.message.id.to_string();
        let mut headers: BTreeMap<String, String> = extra.iter().cloned().collect();
        headers.insert("content-type".into(), "application/json".into());
        headers.insert(
            "user-agent".into(),
            concat!("hookd/", env!("CARGO_PKG_VERSION")).into(),
        );
        headers.insert(
            "webhook-signature".into(),
            hookd_signing::signature_header(&keys, &id, timestamp, &body),
        );
        headers.insert("webhook-timestamp".into(), timestamp.to_string());
        headers.insert("webhook-id".into(), id);
        let out = ListenLine::Delivery {
            delivery_id: h.delivery_id,
            message_id: h.message.id,
            attempt: h.attempt,
            event_type: h.message.event_type.clone(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        tracing::info!(delivery_id = %h.delivery_id, message_id = %h.message.id, attempt = h.attempt, "handed to hookctl listen");
        state.metrics.cli_handouts.inc();
        held.push(h);
        if tx.send(line(&out)).await.is_err() {
            return Err(Closed);
        }
    }
    Ok(true)
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
