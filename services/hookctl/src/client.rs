//! The HTTP client of hookd's API: JSON in and out, the key as a bearer token, an API error
//! turned into `CliError::Api` with the server's own message.

use crate::error::CliError;
use bytes::Bytes;
use http::Method;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Api {
    base: String,
    key: String,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Api {
    /// `base` like `http://127.0.0.1:8080` (https with the web PKI roots).
    pub fn new(base: &str, key: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
            client: Client::builder(TokioExecutor::new()).build(https),
        }
    }

    pub async fn get(&self, path: &str, query: &[(String, String)]) -> Result<Value, CliError> {
        self.send(Method::GET, &with_query(path, query), None).await
    }

    /// A request; the answer's JSON (`Null` for an empty answer such as a 204).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, CliError> {
        let url = format!("{}{}", self.base, path);
        let transport = |reason: String| CliError::Transport {
            url: self.base.clone(),
            reason,
        };
        let mut request = http::Request::builder()
            .method(method)
            .uri(&url)
            .header("authorization", format!("Bearer {}", self.key))
            .header("accept", "application/json")
            .header("user-agent", concat!("hookctl/", env!("CARGO_PKG_VERSION")));
        let bytes = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(bytes))
            .map_err(|e| CliError::usage(format!("bad request to {url}: {e}")))?;
        let response = tokio::time::timeout(TIMEOUT, async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| transport(hookd_domain::reason(&e)))?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| transport(hookd_domain::reason(&e)))?
                .to_bytes();
            Ok::<_, CliError>((status, body))
        })
        .await
        .map_err(|_| transport(format!("no answer within {}s", TIMEOUT.as_secs())))??;
        let (status, body) = response;
        let json: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        };
        if status.is_success() {
            return Ok(json);
        }
        let message = json["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
        Err(CliError::Api {
            status: status.as_u16(),
            code: json["code"]
                .as_str()
                .unwrap_or(status.canonical_reason().unwrap_or(""))
                .to_owned(),
            message,
        })
    }
}

impl Api {
    /// Opens a long-lived GET (no overall timeout) and answers its body as it comes; an API
    /// error answer is `CliError::Api` as for `send`.
    pub async fn open_stream(&self, path: &str) -> Result<hyper::body::Incoming, CliError> {
        let url = format!("{}{}", self.base, path);
        let transport = |reason: String| CliError::Transport {
            url: self.base.clone(),
            reason,
        };
        let request = http::Request::builder()
            .method(Method::GET)
            .uri(&url)
            .header("authorization", format!("Bearer {}", self.key))
            .header("accept", "application/x-ndjson")
            .header("user-agent", concat!("hookctl/", env!("CARGO_PKG_VERSION")))
            .body(Full::new(Bytes::new()))
            .map_err(|e| CliError::usage(format!("bad request to {url}: {e}")))?;
        let response = tokio::time::timeout(TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| transport(format!("no answer within {}s", TIMEOUT.as_secs())))?
            .map_err(|e| transport(hookd_domain::reason(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response.into_body());
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| transport(hookd_domain::reason(&e)))?
            .to_bytes();
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Err(CliError::Api {
            status: status.as_u16(),
            code: json["code"]
                .as_str()
                .unwrap_or(status.canonical_reason().unwrap_or(""))
                .to_owned(),
            message: json["message"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned()),
        })
    }

    /// Sends `body` to any URL (not the API: no key) with `method`, within `timeout`: the
    /// answer's status and body, or why there was none.
    pub async fn send_to(
        &self,
        method: Method,
        url: &str,
        headers: &[(String, String)],
        body: Bytes,
        timeout: Duration,
    ) -> Result<(u16, Bytes), String> {
        let mut request = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| format!("bad request to {url}: {e}"))?;
        tokio::time::timeout(timeout, async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| hookd_domain::reason(&e))?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| hookd_domain::reason(&e))?
                .to_bytes();
            Ok((status, body))
        })
        .await
        .map_err(|_| format!("no answer within {}s", timeout.as_secs()))?
    }
}

/// `path?k=v&...`, form-encoded.
pub fn with_query(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query {
        form.append_pair(k, v);
    }
    format!("{path}?{}", form.finish())
}
