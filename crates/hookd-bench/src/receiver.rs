//! The benchmark's webhook receiver: an HTTP/1 server on 127.0.0.1 that stands in for many
//! endpoints (one per path) and records, per endpoint, how often each sequence number arrived,
//! the end-to-end latency of its first arrival, that arrival's place in the endpoint's arrival
//! order and hookd's message id (fifo's order), so a fifo scenario can check order per lane.
//!
//! Unlike `hookd_testkit::Receiver`, which keeps every request under one lock for assertions,
//! the hot path here takes no lock: the endpoints are fixed at start, and each keeps one atomic
//! counter and one atomic latency slot per expected sequence number.

use crate::stats::unix_micros;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

/// How an endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    /// 200 at once.
    Ok,
    /// Never answers: holds the request until the receiver stops (or `MAX_HANG`), so the
    /// sender's timeout fires. Nothing is recorded as delivered.
    Hang,
    /// 500 for this long after [`Receiver::start_clock`], then 200. Before the clock starts
    /// (set-up and warm-up) it answers 200.
    FailFor(Duration),
    /// 200 after this long: a receiver that does a little work per webhook. Waited on a
    /// blocking-pool thread, see [`answer_after`].
    After(Duration),
}

/// A hanging request is answered after this long at the latest, so no task outlives a run by
/// much even if nobody stops the receiver.
const MAX_HANG: Duration = Duration::from_secs(300);

/// One endpoint of the receiver.
#[derive(Debug, Clone)]
pub struct EndpointSpec {
    /// Path such as `/e/0`.
    pub path: String,
    pub behavior: Behavior,
    /// Sequence numbers `0..capacity` are tracked; others count as out of range.
    pub capacity: usize,
}

/// The part of a request body the receiver reads: hookd's webhook body and the generator's
/// message body both carry the generator's fields in `data`.
#[derive(Deserialize)]
struct Body<'a> {
    /// hookd's message id (a UUID v7, the order fifo keeps); absent in the generator's body.
    #[serde(default, borrow)]
    id: Option<&'a str>,
    data: Data,
}

/// A UUID's 128 bits, or 0 when `id` is not one (the ids are compared, not shown).
fn id_bits(id: Option<&str>) -> u128 {
    id.and_then(|id| u128::from_str_radix(&id.replace('-', ""), 16).ok())
        .unwrap_or(0)
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    sent_at_us: u64,
    #[serde(default)]
    warmup: bool,
}

struct Endpoint {
    behavior: Behavior,
    /// 2xx answers per sequence number.
    arrivals: Box<[AtomicU32]>,
    /// End-to-end latency of the first 2xx arrival, in microseconds.
    latency_us: Box<[AtomicU64]>,
    /// The first 2xx arrival's rank: the `next_rank` it drew when its request came in.
    rank: Box<[AtomicU64]>,
    /// Ranks drawn by requests, in the order they came in.
    next_rank: AtomicU64,
    /// The first 2xx arrival's message id ([`id_bits`]), high and low halves.
    id_hi: Box<[AtomicU64]>,
    id_lo: Box<[AtomicU64]>,
    /// Sequence numbers that arrived at least once.
    unique: AtomicU64,
    /// Every request, whatever the answer (warm-ups included).
    requests: AtomicU64,
    warmups: AtomicU64,
    out_of_range: AtomicU64,
    unparseable: AtomicU64,
    /// Unix micros of the first and last 2xx arrival of a sequence number.
    first_arrival_us: AtomicU64,
    last_arrival_us: AtomicU64,
}

impl Endpoint {
    fn new(spec: &EndpointSpec) -> Self {
        Self {
            behavior: spec.behavior,
            arrivals: (0..spec.capacity).map(|_| AtomicU32::new(0)).collect(),
            latency_us: (0..spec.capacity).map(|_| AtomicU64::new(0)).collect(),
            rank: (0..spec.capacity).map(|_| AtomicU64::new(0)).collect(),
            next_rank: AtomicU64::new(0),
            id_hi: (0..spec.capacity).map(|_| AtomicU64::new(0)).collect(),
            id_lo: (0..spec.capacity).map(|_| AtomicU64::new(0)).collect(),
            unique: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            warmups: AtomicU64::new(0),
            out_of_range: AtomicU64::new(0),
            unparseable: AtomicU64::new(0),
            first_arrival_us: AtomicU64::new(u64::MAX),
            last_arrival_us: AtomicU64::new(0),
        }
    }

    fn record(&self, seq: u64, sent_at_us: u64, now_us: u64, rank: u64, id: u128) {
        let Some(slot) = self.arrivals.get(seq as usize) else {
            self.out_of_range.fetch_add(1, Relaxed);
            return;
        };
        if slot.fetch_add(1, Relaxed) == 0 {
            self.latency_us[seq as usize].store(now_us.saturating_sub(sent_at_us), Relaxed);
            self.rank[seq as usize].store(rank, Relaxed);
            self.id_hi[seq as usize].store((id >> 64) as u64, Relaxed);
            self.id_lo[seq as usize].store(id as u64, Relaxed);
            self.unique.fetch_add(1, Relaxed);
            self.first_arrival_us.fetch_min(now_us, Relaxed);
            self.last_arrival_us.fetch_max(now_us, Relaxed);
        }
    }
}

struct State {
    endpoints: HashMap<String, Endpoint>,
    /// Unix micros when the load started (0: not yet); `FailFor` counts from it.
    clock_start_us: AtomicU64,
    unknown_path: AtomicU64,
    stop: CancellationToken,
}

/// What one endpoint got, against the set of sequence numbers it should have got.
#[derive(Debug, Clone, Default)]
pub struct EndpointReport {
    pub path: String,
    pub requests: u64,
    pub warmups: u64,
    /// Expected sequence numbers that arrived (2xx answered) at least once.
    pub delivered: u64,
    /// Arrivals beyond the first of a sequence number.
    pub duplicates: u64,
    /// Expected sequence numbers that never arrived.
    pub missing: u64,
    /// Sequence numbers that arrived but were not expected (in range, not accepted by ingest),
    /// plus out-of-range and unparseable requests.
    pub unexpected: u64,
    /// End-to-end latency of each expected sequence number's first arrival, microseconds.
    pub latencies_us: Vec<u64>,
    /// The sequence number of each entry of `latencies_us` (when in the load it was sent).
    pub latency_seqs: Vec<u64>,
    /// The arrival rank of each entry of `latencies_us`: lower arrived earlier.
    pub arrival_ranks: Vec<u64>,
    /// hookd's message id of each entry of `latencies_us` as bits (0: none in the body).
    pub message_ids: Vec<u128>,
    /// Unix micros of the first and the last first-arrival of a sequence number.
    pub first_arrival_us: Option<u64>,
    pub last_arrival_us: Option<u64>,
}

/// The receiver. Dropping it (or [`Receiver::stop`]) closes the listener and every connection.
pub struct Receiver {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Binds 127.0.0.1 on an ephemeral port and serves the given endpoints.
    pub async fn start(specs: &[EndpointSpec]) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            endpoints: specs
                .iter()
                .map(|s| (s.path.clone(), Endpoint::new(s)))
                .collect(),
            clock_start_us: AtomicU64::new(0),
            unknown_path: AtomicU64::new(0),
            stop: CancellationToken::new(),
        });
        let task = tokio::spawn(accept_loop(listener, state.clone()));
        Ok(Self { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of one of this receiver's paths.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Marks the start of the load: `FailFor` periods count from now. Returns the moment.
    pub fn start_clock(&self) -> u64 {
        let now = unix_micros();
        self.start_clock_at(now);
        now
    }

    /// Sets the start of the load to a given moment (unix micros).
    pub fn start_clock_at(&self, unix_us: u64) {
        self.state.clock_start_us.store(unix_us, Relaxed);
    }

    /// Distinct sequence numbers received (2xx) so far at `path`.
    pub fn unique(&self, path: &str) -> u64 {
        self.state
            .endpoints
            .get(path)
            .map_or(0, |e| e.unique.load(Relaxed))
    }

    /// Requests of any kind received so far at `path`.
    pub fn requests(&self, path: &str) -> u64 {
        self.state
            .endpoints
            .get(path)
            .map_or(0, |e| e.requests.load(Relaxed))
    }

    /// Warm-up requests received so far at `path`, whatever the answer.
    pub fn warmups(&self, path: &str) -> u64 {
        self.state
            .endpoints
            .get(path)
            .map_or(0, |e| e.warmups.load(Relaxed))
    }

    /// Requests to paths that are not endpoints of this receiver.
    pub fn unknown_path(&self) -> u64 {
        self.state.unknown_path.load(Relaxed)
    }

    /// What `path` received, against `expected[seq]` (the sequence numbers accepted by ingest).
    pub fn report(&self, path: &str, expected: &[bool]) -> EndpointReport {
        let Some(e) = self.state.endpoints.get(path) else {
            return EndpointReport {
                path: path.to_owned(),
                missing: expected.iter().filter(|x| **x).count() as u64,
                ..Default::default()
            };
        };
        let mut r = EndpointReport {
            path: path.to_owned(),
            requests: e.requests.load(Relaxed),
            warmups: e.warmups.load(Relaxed),
            unexpected: e.out_of_range.load(Relaxed) + e.unparseable.load(Relaxed),
            ..Default::default()
        };
        for (seq, slot) in e.arrivals.iter().enumerate() {
            let n = u64::from(slot.load(Relaxed));
            let wanted = expected.get(seq).copied().unwrap_or(false);
            r.duplicates += n.saturating_sub(1);
            match (wanted, n > 0) {
                (true, true) => {
                    r.delivered += 1;
                    r.latencies_us.push(e.latency_us[seq].load(Relaxed));
                    r.latency_seqs.push(seq as u64);
                    r.arrival_ranks.push(e.rank[seq].load(Relaxed));
                    let (hi, lo) = (e.id_hi[seq].load(Relaxed), e.id_lo[seq].load(Relaxed));
                    r.message_ids.push(u128::from(hi) << 64 | u128::from(lo));
                }
                (true, false) => r.missing += 1,
                (false, true) => r.unexpected += 1,
                (false, false) => {}
            }
        }
        // Expected numbers beyond the tracked range can never be seen.
        r.missing += expected
            .iter()
            .skip(e.arrivals.len())
            .filter(|x| **x)
            .count() as u64;
        let first = e.first_arrival_us.load(Relaxed);
        r.first_arrival_us = (first != u64::MAX).then_some(first);
        let last = e.last_arrival_us.load(Relaxed);
        r.last_arrival_us = (last != 0).then_some(last);
        r
    }

    /// Closes the listener and every open connection (hanging requests included).
    pub async fn stop(mut self) {
        self.state.stop.cancel();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.state.stop.cancel();
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    // Dropping the set when the loop ends aborts every connection task.
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = state.stop.cancelled() => break,
            a = listener.accept() => a,
        };
        while connections.try_join_next().is_some() {}
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        connections.spawn(async move {
            let service = service_fn(move |req| handle(state.clone(), req));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// `After`'s wait. Not `tokio::time::sleep`: its timer rounds a deadline up to the next
/// whole-millisecond tick and parks in whole milliseconds, so `sleep(1 ms)` waited 2.1 ms (p50)
/// on the bench machine; `std::thread::sleep` (nanosleep) on a blocking-pool thread, ~1.1 ms.
async fn answer_after(d: Duration) {
    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(d)).await;
}

fn answer(status: StatusCode) -> Response<Empty<Bytes>> {
    let mut r = Response::new(Empty::new());
    *r.status_mut() = status;
    r
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, hyper::Error> {
    let state = &*state;
    let Some(endpoint) = state.endpoints.get(req.uri().path()) else {
        state.unknown_path.fetch_add(1, Relaxed);
        return Ok(answer(StatusCode::NOT_FOUND));
    };
    let body = req.into_body().collect().await?.to_bytes();
    let now_us = unix_micros();
    endpoint.requests.fetch_add(1, Relaxed);
    let parsed = serde_json::from_slice::<Body>(&body).ok();
    if parsed.as_ref().is_some_and(|b| b.data.warmup) {
        endpoint.warmups.fetch_add(1, Relaxed);
    }
    // Drawn on arrival, before any answer delay: the order hookd sent in.
    let rank = endpoint.next_rank.fetch_add(1, Relaxed);
    match endpoint.behavior {
        Behavior::Ok => {}
        Behavior::Hang => {
            tokio::select! {
                _ = state.stop.cancelled() => {}
                _ = tokio::time::sleep(MAX_HANG) => {}
            }
            return Ok(answer(StatusCode::SERVICE_UNAVAILABLE));
        }
        Behavior::After(d) => answer_after(d).await,
        Behavior::FailFor(period) => {
            let start = state.clock_start_us.load(Relaxed);
            if start != 0 && now_us < start + period.as_micros() as u64 {
                return Ok(answer(StatusCode::INTERNAL_SERVER_ERROR));
            }
        }
    }
    match parsed {
        Some(Body {
            id,
            data:
                Data {
                    seq: Some(seq),
                    sent_at_us,
                    warmup: false,
                },
        }) => endpoint.record(seq, sent_at_us, now_us, rank, id_bits(id)),
        Some(b) if b.data.warmup => {}
        _ => {
            endpoint.unparseable.fetch_add(1, Relaxed);
        }
    }
    Ok(answer(StatusCode::OK))
}

#[cfg(test)]
#[path = "receiver_tests.rs"]
mod tests;
