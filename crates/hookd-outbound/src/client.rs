use crate::guard::{AddressPolicy, BlockedAddress};
use crate::trust::TrustError;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    #[error("{0}")]
    Blocked(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("connection failed: {0}")]
    Connect(String),
    /// The TLS handshake failed, most often on the receiver's certificate.
    #[error("TLS handshake failed: {detail}")]
    Tls { cause: TlsCause, detail: String },
    #[error("request failed: {0}")]
    Request(String),
}

/// Why a TLS handshake failed, as far as an attempt's error code tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsCause {
    /// The certificate chains to no trusted CA (self-signed included).
    UnknownIssuer,
    Expired,
    /// The certificate does not name the host.
    NameMismatch,
    Other,
}

impl TlsCause {
    fn of(e: &rustls::Error) -> Self {
        use rustls::CertificateError as C;
        match e {
            rustls::Error::InvalidCertificate(C::UnknownIssuer) => Self::UnknownIssuer,
            rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
                Self::Expired
            }
            rustls::Error::InvalidCertificate(
                C::NotValidForName | C::NotValidForNameContext { .. },
            ) => Self::NameMismatch,
            _ => Self::Other,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// `None`: POST.
    pub method: Option<String>,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

#[derive(Debug, Clone)]
pub struct OutboundResponse {
    pub status: u16,
    /// The body up to the client's cap.
    pub body: Bytes,
    /// A `Retry-After` given in seconds.
    pub retry_after: Option<Duration>,
}

/// Resolves names, then drops the addresses the policy refuses, so the connector connects only
/// to an address that was checked (no second lookup an attacker could rebind).
#[derive(Clone)]
struct GuardedResolver {
    policy: Arc<AddressPolicy>,
}

impl tower_service::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy.clone();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match policy.check(a.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        refused = Some(e);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(e)) => {
                    Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, e))
                }
                _ => Ok(allowed.into_iter()),
            }
        })
    }
}

type Connector = HttpsConnector<HttpConnector<GuardedResolver>>;

/// One pooled client for every delivery of a process.
#[derive(Clone)]
pub struct OutboundClient {
    client: Client<Connector, Full<Bytes>>,
    policy: Arc<AddressPolicy>,
    timeout: Duration,
    max_body: usize,
    user_agent: HeaderValue,
}

impl OutboundClient {
    /// `extra_ca_file`: PEM certificates trusted besides the web PKI roots
    /// (`delivery.extra_ca_file`).
    pub fn new(
        policy: AddressPolicy,
        timeout: Duration,
        max_body: usize,
        extra_ca_file: Option<&Path>,
    ) -> Result<Self, TrustError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = crate::trust::client_config(extra_ca_file)?;
        let policy = Arc::new(policy);
        let mut http = HttpConnector::new_with_resolver(GuardedResolver {
            policy: policy.clone(),
        });
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .build(https);
        let user_agent = HeaderValue::from_str(&format!("hookd/{}", env!("CARGO_PKG_VERSION")))
            .expect("static user agent");
        Ok(Self {
            client,
            policy,
            timeout,
            max_body,
            user_agent,
        })
    }

    /// Sends the request (POST unless it says otherwise); redirects are answers like any other
    /// (never followed).
    pub async fn post(&self, req: OutboundRequest) -> Result<OutboundResponse, SendError> {
        let uri: http::Uri = req
            .url
            .parse()
            .map_err(|e| SendError::InvalidUrl(format!("{e}")))?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => return Err(SendError::InvalidUrl("scheme must be http or https".into())),
        }
        let host = uri
            .host()
            .ok_or_else(|| SendError::InvalidUrl("no host".into()))?;
        // A literal IP skips the resolver, so it is checked here.
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            self.policy
                .check(ip)
                .map_err(|e| SendError::Blocked(e.to_string()))?;
        }
        let method = match req.method.as_deref() {
            None => http::Method::POST,
            Some(m) => http::Method::from_bytes(m.as_bytes())
                .map_err(|_| SendError::InvalidUrl(format!("bad method {m}")))?,
        };
        let mut builder = http::Request::builder().method(method).uri(uri);
        // JSON and hookd's agent unless the request says otherwise (a forwarded inbound
        // request keeps its own).
        let given = |name: &str| {
            req.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        if !given("content-type") {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        if !given("user-agent") {
            builder = builder.header(USER_AGENT, self.user_agent.clone());
        }
        for (name, value) in &req.headers {
            let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) else {
                continue;
            };
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Full::new(req.body))
            .map_err(|e| SendError::InvalidUrl(e.to_string()))?;
        let max_body = self.max_body;
        let exchange = async {
            let response = self.client.request(request).await.map_err(classify)?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            // Read at most the cap; a larger body is cut, not an error.
            let mut body = response.into_body();
            let mut buf = Vec::new();
            while buf.len() < max_body {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            let take = (max_body - buf.len()).min(data.len());
                            buf.extend_from_slice(&data[..take]);
                        }
                    }
                    Some(Err(e)) => return Err(SendError::Request(e.to_string())),
                    None => break,
                }
            }
            let body = Bytes::from(buf);
            Ok(OutboundResponse {
                status,
                body,
                retry_after,
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Timeout(self.timeout)),
        }
    }
}

fn classify(e: hyper_util::client::legacy::Error) -> SendError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    let mut chain = Vec::new();
    let mut tls = None;
    while let Some(err) = source {
        if let Some(blocked) = err.downcast_ref::<BlockedAddress>() {
            return SendError::Blocked(blocked.to_string());
        }
        tls = tls.or(rustls_error(err).map(TlsCause::of));
        chain.push(err.to_string());
        source = err.source();
    }
    let text = chain.join(": ");
    if let Some(cause) = tls {
        SendError::Tls {
            cause,
            detail: text,
        }
    } else if e.is_connect() {
        SendError::Connect(text)
    } else {
        SendError::Request(text)
    }
}

/// The rustls error inside `err`: tokio-rustls hands the handshake's error over inside an
/// io::Error, which hyper-rustls wraps in another.
fn rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(e) = err.downcast_ref::<rustls::Error>() {
        return Some(e);
    }
    let io = err.downcast_ref::<std::io::Error>()?;
    rustls_error(io.get_ref()?)
}
