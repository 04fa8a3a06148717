//! OTLP trace export (http/protobuf), on only when an endpoint is configured.
//!
//! The SDK's batch processor exports from a thread of its own, outside any tokio runtime; the
//! exporter's HTTP client hands each request to the runtime it was built on, so hookd's one
//! hyper stack does the sending (no reqwest, no tonic).

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use std::time::Duration;

/// A collector's answer is a small protobuf; anything bigger is not read.
const MAX_ANSWER: usize = 64 * 1024;
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);
const TRACES_PATH: &str = "/v1/traces";

#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    #[error("telemetry.otlp_endpoint `{0}` is not an http:// or https:// URL")]
    BadEndpoint(String),
    #[error("OTLP exporter: {0}")]
    Exporter(String),
    #[error("OTLP export needs a tokio runtime to send from")]
    NoRuntime,
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// The exporter's HTTP client: hyper on the service's runtime.
#[derive(Debug, Clone)]
struct RuntimeClient {
    runtime: tokio::runtime::Handle,
    client: Client<Connector, Full<Bytes>>,
}

#[async_trait::async_trait]
impl HttpClient for RuntimeClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts, Full::new(body));
        // Spawned on the runtime (the caller is the SDK's own thread), awaited from anywhere.
        let answer = self.runtime.spawn(async move {
            let answer = client.request(request).await?;
            let (parts, body) = answer.into_parts();
            let body = Limited::new(body, MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| -> HttpError { e })?
                .to_bytes();
            Ok::<_, HttpError>(Response::from_parts(parts, body))
        });
        answer.await?
    }
}

/// The traces URL of `endpoint`: a collector's base URL gets `/v1/traces`; a URL that already
/// ends with it is used as is.
pub fn traces_url(endpoint: &str) -> Result<String, OtlpError> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
        return Err(OtlpError::BadEndpoint(endpoint.to_owned()));
    }
    if trimmed.ends_with(TRACES_PATH) {
        Ok(trimmed.to_owned())
    } else {
        Ok(format!("{trimmed}{TRACES_PATH}"))
    }
}

/// A tracer provider exporting in batches to `endpoint`, its spans labelled `service`.
pub fn provider(endpoint: &str, service: &str) -> Result<SdkTracerProvider, OtlpError> {
    let url = traces_url(endpoint)?;
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| OtlpError::NoRuntime)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    let client = RuntimeClient {
        runtime,
        client: Client::builder(TokioExecutor::new()).build(https),
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url)
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|e| OtlpError::Exporter(e.to_string()))?;
    let resource = Resource::builder()
        .with_service_name(service.to_owned())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_gets_the_traces_path() {
        assert_eq!(
            traces_url("http://c:4318").unwrap(),
            "http://c:4318/v1/traces"
        );
        assert_eq!(
            traces_url("https://c/otlp/v1/traces/").unwrap(),
            "https://c/otlp/v1/traces"
        );
        assert!(traces_url("c:4318").is_err());
    }
}
