use actix_web::{web, App, HttpResponse, HttpServer};
use futures_util::future::BoxFuture;
use prometheus::{Encoder, Registry, TextEncoder};
use std::net::TcpListener;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Checks a service's dependencies; `Err` names the one that is down.
pub type Readiness = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// Prometheus text exposition of a registry.
pub fn metrics_text(registry: &Registry) -> String {
    let mut buf = Vec::new();
    let _ = TextEncoder::new().encode(&registry.gather(), &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// The small HTTP server of the router and the delivery worker: `/healthz`, `/readyz`,
/// `/metrics`. (Ingest serves the same routes on its API address.)
pub struct HealthServer {
    listener: TcpListener,
    registry: Registry,
    readiness: Readiness,
}

impl HealthServer {
    pub fn bind(addr: &str, registry: Registry, readiness: Readiness) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(Self {
            listener,
            registry,
            readiness,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub async fn run(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let registry = web::Data::new(self.registry);
        let readiness = web::Data::new(self.readiness);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(registry.clone())
                .app_data(readiness.clone())
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(readyz))
                .route("/metrics", web::get().to(metrics))
        })
        .workers(1)
        .disable_signals()
        .listen(self.listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            handle.stop(true).await;
        });
        server.await
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    match (readiness.get_ref())().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
        Err(down) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"status": "unavailable", "reason": down})),
    }
}

async fn metrics(registry: web::Data<Registry>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics_text(&registry))
}
