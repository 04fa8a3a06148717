use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// One webhook as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// The query string, `""` when none.
    pub query: String,
    pub headers: HashMap<String, String>,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// How the receiver answers a path.
#[derive(Debug, Clone)]
pub enum Behavior {
    /// Answer this status at once.
    Status(u16),
    /// Wait, then answer 200 (a slow or hanging endpoint).
    Delay(Duration),
    /// Hold each request until the test opens the gate, then answer 200: a try in flight for
    /// as long as the test needs, with no window a slow machine can miss.
    Hold(Gate),
    /// Answer `status` to the first `times` requests, then 200.
    FailFirst { times: usize, status: u16 },
    /// Answer `status` to every `every`-th request at the path (the `every`-th, the
    /// `2 * every`-th, ...), 200 to the others: an endpoint that fails now and then.
    FailEvery { every: usize, status: u16 },
    /// Answer with a body and headers.
    Respond {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
}

/// Opened once by the test; the requests a `Behavior::Hold` holds then get their answers.
#[derive(Debug, Clone)]
pub struct Gate(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Gate {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::watch::channel(false).0))
    }
}

impl Gate {
    pub fn open(&self) {
        self.0.send_replace(true);
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    behaviors: HashMap<String, Behavior>,
    counts: HashMap<String, usize>,
}

/// An HTTP (or HTTPS) server on a loopback port that records every request. Behaviour is chosen
/// per path, so one receiver stands in for many endpoints (`/a`, `/b`, ...).
#[derive(Clone)]
pub struct Receiver {
    addr: SocketAddr,
    scheme: &'static str,
    state: Arc<Mutex<State>>,
    connections: Arc<AtomicUsize>,
}

impl Receiver {
    pub async fn start() -> Self {
        Self::serve(None).await
    }

    /// The receiver over TLS with this configuration (see `TestPki`): its URLs are `https://`.
    pub async fn start_tls(config: Arc<rustls::ServerConfig>) -> Self {
        Self::serve(Some(tokio_rustls::TlsAcceptor::from(config))).await
    }

    async fn serve(tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver address");
        let state = Arc::new(Mutex::new(State::default()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (shared, counted, scheme) = (
            state.clone(),
            connections.clone(),
            if tls.is_some() { "https" } else { "http" },
        );
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let (state, tls) = (shared.clone(), tls.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    let http = http1::Builder::new();
                    match tls {
                        // A client that refuses the certificate ends the handshake here.
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = http.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                });
            }
        });
        Self {
            addr,
            scheme,
            state,
            connections,
        }
    }

    /// TCP connections accepted so far (an HTTPS client that refused the certificate made one
    /// and sent no request).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The URL of a path on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.addr, path)
    }

    pub fn set(&self, path: &str, behavior: Behavior) {
        self.state
            .lock()
            .unwrap()
            .behaviors
            .insert(path.to_owned(), behavior);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn received_at(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Waits until `pred` holds over what was received, or `timeout` passes; returns whether
    /// it held.
    pub async fn wait_for(&self, timeout: Duration, pred: impl Fn(&[Received]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.state.lock().unwrap().received) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let method = req.method().as_str().to_owned();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let body = req.into_body().collect().await?.to_bytes();
    let behavior = {
        let mut s = state.lock().unwrap();
        s.received.push(Received {
            method,
            path: path.clone(),
            query,
            headers,
            body,
            at: Instant::now(),
        });
        let n = s.counts.entry(path.clone()).or_default();
        *n += 1;
        let n = *n;
        match s.behaviors.get(&path).cloned() {
            Some(Behavior::FailFirst { times, status }) if n <= times => Behavior::Status(status),
            Some(Behavior::FailEvery { every, status }) if every > 0 && n.is_multiple_of(every) => {
                Behavior::Status(status)
            }
            Some(Behavior::FailFirst { .. } | Behavior::FailEvery { .. }) | None => {
                Behavior::Status(200)
            }
            Some(b) => b,
        }
    };
    let mut response = Response::builder();
    let (status, body) = match behavior {
        Behavior::Status(s) => (s, String::new()),
        Behavior::Delay(d) => {
            tokio::time::sleep(d).await;
            (200, String::new())
        }
        Behavior::Hold(gate) => {
            let mut open = gate.0.subscribe();
            let _ = open.wait_for(|open| *open).await;
            (200, String::new())
        }
        Behavior::Respond {
            status,
            body,
            headers,
        } => {
            for (k, v) in headers {
                response = response.header(k, v);
            }
            (status, body)
        }
        Behavior::FailFirst { .. } | Behavior::FailEvery { .. } => (200, String::new()),
    };
    Ok(response
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .body(Full::new(Bytes::from(body)))
        .expect("response"))
}
