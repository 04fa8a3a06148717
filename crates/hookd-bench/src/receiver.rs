//! The benchmark's webhook receiver: an HTTP/1 server on 127.0.0.1 that stands in for many
//! endpoints (one per path) and records, per endpoint, how often each sequence number arrived
//! and the end-to-end latency of its first arrival.
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
    /// 200 after this long: a receiver that does a little work per webhook.
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
struct Body {
    data: Data,
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
            unique: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            warmups: AtomicU64::new(0),
            out_of_range: AtomicU64::new(0),
            unparseable: AtomicU64::new(0),
            first_arrival_us: AtomicU64::new(u64::MAX),
            last_arrival_us: AtomicU64::new(0),
        }
    }

    fn record(&self, seq: u64, sent_at_us: u64, now_us: u64) {
        let Some(slot) = self.arrivals.get(seq as usize) else {
            self.out_of_range.fetch_add(1, Relaxed);
            return;
        };
        if slot.fetch_add(1, Relaxed) == 0 {
            self.latency_us[seq as usize].store(now_us.saturating_sub(sent_at_us), Relaxed);
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
    match endpoint.behavior {
        Behavior::Ok => {}
        Behavior::Hang => {
            tokio::select! {
                _ = state.stop.cancelled() => {}
                _ = tokio::time::sleep(MAX_HANG) => {}
            }
            return Ok(answer(StatusCode::SERVICE_UNAVAILABLE));
        }
        Behavior::After(d) => tokio::time::sleep(d).await,
        Behavior::FailFor(period) => {
            let start = state.clock_start_us.load(Relaxed);
            if start != 0 && now_us < start + period.as_micros() as u64 {
                return Ok(answer(StatusCode::INTERNAL_SERVER_ERROR));
            }
        }
    }
    match parsed {
        Some(Body {
            data:
                Data {
                    seq: Some(seq),
                    sent_at_us,
                    warmup: false,
                },
        }) => endpoint.record(seq, sent_at_us, now_us),
        Some(b) if b.data.warmup => {}
        _ => {
            endpoint.unparseable.fetch_add(1, Relaxed);
        }
    }
    Ok(answer(StatusCode::OK))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    async fn try_post(url: &str, body: String) -> Option<u16> {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let req = Request::post(url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        Some(client.request(req).await.ok()?.status().as_u16())
    }

    async fn post(url: &str, body: String) -> u16 {
        try_post(url, body).await.expect("receiver answers")
    }

    fn webhook(seq: u64, sent_at_us: u64) -> String {
        // The shape hookd delivers: the generator's fields sit in `data`.
        format!(
            r#"{{"id":"m","event_type":"bench.event","version":"1.0","event_id":null,"created_at":"2026-11-23T00:00:00Z","data":{{"seq":{seq},"sent_at_us":{sent_at_us}}}}}"#
        )
    }

    fn spec(path: &str, behavior: Behavior, capacity: usize) -> EndpointSpec {
        EndpointSpec {
            path: path.into(),
            behavior,
            capacity,
        }
    }

    #[tokio::test]
    async fn counts_duplicates_and_missing() {
        let r = Receiver::start(&[spec("/a", Behavior::Ok, 10), spec("/b", Behavior::Ok, 10)])
            .await
            .unwrap();
        let sent = unix_micros();
        // /a gets 0, 1, 2, 2 (a duplicate), 4, 4, 4 (two more): 3 is the gap.
        for seq in [0, 1, 2, 2, 4, 4, 4] {
            assert_eq!(post(&r.url("/a"), webhook(seq, sent)).await, 200);
        }
        // /b gets 9 (not accepted by ingest), 20 (beyond its range) and junk.
        assert_eq!(post(&r.url("/b"), webhook(9, sent)).await, 200);
        assert_eq!(post(&r.url("/b"), webhook(20, sent)).await, 200);
        assert_eq!(post(&r.url("/b"), "{}".into()).await, 200);
        assert_eq!(post(&r.url("/nope"), webhook(0, sent)).await, 404);

        let expected: Vec<bool> = (0..10).map(|s| s < 5).collect(); // 0..=4 accepted
        let a = r.report("/a", &expected);
        assert_eq!(a.requests, 7);
        assert_eq!(a.delivered, 4);
        assert_eq!(a.duplicates, 3);
        assert_eq!(a.missing, 1);
        assert_eq!(a.unexpected, 0);
        assert_eq!(a.latencies_us.len(), 4);
        assert!(a.first_arrival_us.unwrap() <= a.last_arrival_us.unwrap());
        assert_eq!(r.unique("/a"), 4);

        let b = r.report("/b", &expected);
        assert_eq!(b.delivered, 0);
        assert_eq!(b.missing, 5);
        assert_eq!(b.duplicates, 0);
        assert_eq!(b.unexpected, 3); // 9 not expected, 20 out of range, `{}` unparseable
        assert_eq!(r.unknown_path(), 1);
        r.stop().await;
    }

    #[tokio::test]
    async fn latency_is_arrival_minus_sent_at() {
        let r = Receiver::start(&[spec("/a", Behavior::Ok, 2)])
            .await
            .unwrap();
        let sent = unix_micros() - 250_000; // sent a quarter second ago
        post(&r.url("/a"), webhook(1, sent)).await;
        let rep = r.report("/a", &[false, true]);
        assert_eq!(rep.delivered, 1);
        assert_eq!(rep.missing, 0);
        assert!(rep.latencies_us[0] >= 250_000, "{:?}", rep.latencies_us);
        assert!(rep.latencies_us[0] < 60_000_000);
    }

    #[tokio::test]
    async fn fails_for_a_period_after_the_clock_starts() {
        let r = Receiver::start(&[
            spec("/long", Behavior::FailFor(Duration::from_secs(60)), 4),
            spec("/short", Behavior::FailFor(Duration::from_secs(5)), 4),
        ])
        .await
        .unwrap();
        let sent = unix_micros();
        // Before the clock starts (set-up, warm-up) every endpoint answers 200.
        let warmup = r#"{"data":{"warmup":true}}"#.to_string();
        assert_eq!(post(&r.url("/long"), warmup).await, 200);
        // The load began 10 s ago: /long still fails, /short has recovered.
        r.start_clock_at(unix_micros() - 10_000_000);
        assert_eq!(post(&r.url("/long"), webhook(0, sent)).await, 500);
        assert_eq!(post(&r.url("/short"), webhook(0, sent)).await, 200);
        let long = r.report("/long", &[true, true, false, false]);
        assert_eq!(long.requests, 2);
        assert_eq!(long.warmups, 1);
        assert_eq!(long.delivered, 0); // a 500 is not a delivery
        assert_eq!(long.missing, 2);
        let short = r.report("/short", &[true, true, false, false]);
        assert_eq!(
            (short.delivered, short.duplicates, short.missing),
            (1, 0, 1)
        );
    }

    #[tokio::test]
    async fn hanging_endpoint_holds_until_stopped_and_records_nothing() {
        let r = Receiver::start(&[spec("/h", Behavior::Hang, 1)])
            .await
            .unwrap();
        let url = r.url("/h");
        let pending = tokio::spawn(async move { try_post(&url, webhook(0, unix_micros())).await });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!pending.is_finished());
        assert_eq!(r.requests("/h"), 1);
        assert_eq!(r.report("/h", &[true]).missing, 1);
        r.stop().await;
        // The connection is closed: the request ends (with an error or a 503), not after 300 s.
        let _ = tokio::time::timeout(Duration::from_secs(5), pending)
            .await
            .expect("the hanging request ends when the receiver stops");
    }
}
