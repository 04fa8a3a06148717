//! The CLI relay: one task per connected `hookctl listen`, handing what waits for a CLI down its
//! stream (one JSON object per line). What is handed out is a `Feed`'s: a `/api/v1` cli
//! endpoint's deliveries (`relay_endpoint`) or a gateway source's events for its CLI
//! destinations (`gateway::cli_relay`). At most `WINDOW` are held unreported at once; what is
//! held when the stream ends (the CLI went away, or ingest stops) is released at once for the
//! next CLI, and what a crash keeps held comes back when its lease runs out.

use crate::state::AppState;
use actix_web::web;
use actix_web::web::Bytes;
use chrono::{DateTime, Utc};
use hookd_db::DbError;
use serde::Serialize;
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::Instrument;

/// Items a CLI holds unreported at most: it forwards one at a time, so more would only wait
/// (and their leases run) in its buffer.
const WINDOW: usize = 8;
/// How often the relay looks for items that became due.
const POLL: Duration = Duration::from_millis(300);
/// A blank line this often while idle: a CLI that went away is noticed (the write fails) and
/// what it held released, and proxies keep the stream open.
const KEEPALIVE: Duration = Duration::from_secs(2);

/// What a claim answers: each item held, with its line (none: held but not sent).
pub type Claimed<H> = Vec<(H, Option<Bytes>)>;

/// What one relay hands out: claims leased items, tells which are still held, releases them.
pub trait Feed: Send + Sync + 'static {
    /// One item handed out (with what its lease and release need).
    type Held: Send + Sync + 'static;

    /// The first line of the stream.
    fn connected(&self) -> Bytes;

    /// Claims up to `room` items leased until `until`, each with its line; an item with no line
    /// is held but not sent (it cannot be signed now) and comes back when its lease runs out.
    fn claim(
        &self,
        state: &AppState,
        client: &hookd_db::Client,
        room: i64,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Claimed<Self::Held>, DbError>> + Send;

    /// Keeps in `held` what the CLI still holds (not reported, not released, not re-claimed).
    fn still_held(
        &self,
        client: &hookd_db::Client,
        held: &mut Vec<Self::Held>,
    ) -> impl Future<Output = Result<(), DbError>> + Send;

    /// Parks again what the CLI held and did not report; answers how many.
    fn release(
        &self,
        client: &hookd_db::Client,
        held: &[Self::Held],
    ) -> impl Future<Output = Result<u64, DbError>> + Send;
}

/// One object of the stream as a line.
pub fn line(l: &impl Serialize) -> Bytes {
    let mut bytes = serde_json::to_vec(l).expect("a listen line serialises");
    bytes.push(b'\n');
    Bytes::from(bytes)
}

/// The NDJSON response of a relay: each line as soon as it is written, through proxies too.
pub fn response<F: Feed>(
    state: web::Data<AppState>,
    feed: F,
    span: tracing::Span,
) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(start(state, feed, span))
}

/// A CLI's report of a forward names a try (1 or more) and says what came of it: 422 otherwise.
pub fn check_report(
    attempt: i32,
    response_status: Option<u16>,
    error: Option<&str>,
) -> Result<(), crate::error::ApiError> {
    use crate::body::invalid_field;
    if attempt < 1 {
        return Err(invalid_field("attempt", "attempt must be 1 or more"));
    }
    if response_status.is_none() && error.is_none() {
        return Err(invalid_field(
            "response_status",
            "response_status or error is required",
        ));
    }
    Ok(())
}

/// The first 4 KiB of a text a CLI reported, cut on a character boundary.
pub fn first_4k(mut s: String) -> String {
    if s.len() > 4096 {
        let mut end = 4096;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Starts the relay of `feed` in `span`; the stream it feeds ends when the relay does.
fn start<F: Feed>(
    state: web::Data<AppState>,
    feed: F,
    span: tracing::Span,
) -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> {
    let (tx, rx) = mpsc::channel::<Bytes>(WINDOW * 2);
    tokio::spawn(run(state, feed, tx).instrument(span));
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|b| (Ok(b), rx)) },
    )
}

async fn run<F: Feed>(state: web::Data<AppState>, feed: F, tx: mpsc::Sender<Bytes>) {
    tracing::info!("hookctl listen connected");
    let mut held: Vec<F::Held> = Vec::new();
    if tx.send(feed.connected()).await.is_ok() {
        serve(&state, &feed, &tx, &mut held).await;
    }
    if held.is_empty() {
        tracing::info!("hookctl listen went away");
        return;
    }
    let released = async {
        let client = state.pool.get().await?;
        feed.release(&client, &held).await
    }
    .instrument(tracing::info_span!("cli_relay.release", held = held.len()))
    .await;
    match released {
        Ok(n) => tracing::info!(
            released = n,
            "hookctl listen went away; what it held waits for the next"
        ),
        // Their leases run out and bring them back.
        Err(e) => tracing::warn!(error = %e, "could not release a CLI's items; their leases will"),
    }
}

/// Hands out items until the stream closes or ingest stops; `held` keeps what was handed.
async fn serve<F: Feed>(
    state: &AppState,
    feed: &F,
    tx: &mpsc::Sender<Bytes>,
    held: &mut Vec<F::Held>,
) {
    // A forward may take the whole delivery timeout; the lease covers a full window of them.
    let lease = state.settings.delivery.timeout * (WINDOW as u32) + Duration::from_secs(60);
    let mut idle_since = tokio::time::Instant::now();
    loop {
        match hand_out(state, feed, tx, held, lease).await {
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
async fn hand_out<F: Feed>(
    state: &AppState,
    feed: &F,
    tx: &mpsc::Sender<Bytes>,
    held: &mut Vec<F::Held>,
    lease: Duration,
) -> Result<bool, Closed> {
    let claimed = async {
        let client = state.pool.get().await?;
        if !held.is_empty() {
            feed.still_held(&client, held).await?;
        }
        let room = WINDOW.saturating_sub(held.len());
        if room == 0 {
            return Ok(Vec::new());
        }
        let until = Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
        feed.claim(state, &client, room as i64, until).await
    }
    .await;
    let claimed = match claimed {
        Ok(c) => c,
        Err(e) => {
            // The database is away: the CLI keeps its stream and gets items once it is back.
            tracing::warn!(error = %e, "cli relay: cannot read what waits");
            return Ok(false);
        }
    };
    let mut sent = false;
    for (h, out) in claimed {
        held.push(h);
        let Some(out) = out else { continue };
        state.metrics.cli_handouts.inc();
        if tx.send(out).await.is_err() {
            return Err(Closed);
        }
        sent = true;
    }
    Ok(sent)
}
