use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// A response: status, headers, and the body parsed as JSON (`Null` when it is not JSON).
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Value,
    pub text: String,
}

/// A small JSON client for hookd's API.
#[derive(Clone)]
pub struct ApiClient {
    base: String,
    key: Option<String>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl ApiClient {
    /// `base` like `http://127.0.0.1:8080`; `key` sent as `Authorization: Bearer`.
    pub fn new(base: impl Into<String>, key: Option<&str>) -> Self {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self {
            base: base.into(),
            key: key.map(str::to_owned),
            client,
        }
    }

    pub fn with_key(&self, key: Option<&str>) -> Self {
        Self {
            base: self.base.clone(),
            key: key.map(str::to_owned),
            client: self.client.clone(),
        }
    }

    /// The same client sending from another local address (`127.0.0.2`: every 127/8 address is
    /// loopback), for limits kept per client address.
    pub fn from_address(&self, local: std::net::IpAddr) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_local_address(Some(local));
        Self {
            base: self.base.clone(),
            key: self.key.clone(),
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// Like `post`, but a failed connection is an error instead of a panic (chaos, benchmarks).
    pub async fn try_post(&self, path: &str, body: &Value) -> Result<ApiResponse, String> {
        self.try_raw("POST", path, Some(body.to_string().into()), &[])
            .await
    }

    pub async fn try_get(&self, path: &str) -> Result<ApiResponse, String> {
        self.try_raw("GET", path, None, &[]).await
    }

    pub async fn get(&self, path: &str) -> ApiResponse {
        self.raw("GET", path, None, &[]).await
    }

    pub async fn delete(&self, path: &str) -> ApiResponse {
        self.raw("DELETE", path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> ApiResponse {
        self.raw("POST", path, Some(body.to_string().into()), &[])
            .await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> ApiResponse {
        self.raw("PATCH", path, Some(body.to_string().into()), &[])
            .await
    }

    /// Any request, with a raw body and extra headers.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Bytes>,
        headers: &[(&str, &str)],
    ) -> ApiResponse {
        self.try_raw(method, path, body, headers)
            .await
            .expect("API request")
    }

    pub async fn try_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Bytes>,
        headers: &[(&str, &str)],
    ) -> Result<ApiResponse, String> {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path))
            .header("content-type", "application/json");
        if let Some(key) = &self.key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let request = builder
            .body(Full::new(body.unwrap_or_default()))
            .expect("request");
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("API body")
            .to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(ApiResponse {
            status,
            headers,
            body,
            text,
        })
    }
}
