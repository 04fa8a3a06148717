use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header::{HeaderValue, ALLOW};
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer, ResponseError};
use hookd_bus::{Publisher, Topology};
use hookd_config::Settings;
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use utoipa_actix_web::AppExt;

/// The ingest service, bound and ready to serve.
pub struct Application {
    listener: TcpListener,
    state: web::Data<AppState>,
    workers: usize,
}

impl Application {
    /// Connects to PostgreSQL and RabbitMQ, makes sure the default organization exists, and
    /// binds `ingest.listen` (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        let pool = hookd_db::connect(settings.database.url.expose(), settings.database.pool_size)?;
        let default_org = {
            let client = pool.get().await?;
            hookd_db::organizations::ensure_default(&client).await?
        };
        let topology = Topology::new(settings.amqp.prefix.clone());
        let publisher = Arc::new(Publisher::connect(settings.amqp.url.expose(), topology).await?);
        let listener = TcpListener::bind(&settings.ingest.listen)?;
        listener.set_nonblocking(true)?;
        let workers = match settings.ingest.workers {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            n => n,
        };
        let cipher = secret_cipher(&settings)?;
        // Without a configured public URL, the bound address (port 0 resolved).
        let public_url = match &settings.console.public_url {
            Some(_) => settings.public_url(),
            None => format!("http://{}", listener.local_addr()?),
        };
        let gateway_url = settings
            .gateway
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", listener.local_addr().expect("bound")))
            .trim_end_matches('/')
            .to_owned();
        let mut state = AppState::new(settings, pool, publisher, default_org, cipher, public_url);
        state.gateway_url = gateway_url;
        let state = web::Data::new(state);
        Ok(Self {
            listener,
            state,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The registry of this service's metrics.
    pub fn metrics_registry(&self) -> hookd_telemetry::prometheus::Registry {
        self.state.metrics.registry.clone()
    }

    /// Serves until `shutdown`; then stops accepting and lets requests in flight finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> std::io::Result<()> {
        let state = self.state;
        let state_for_keys = state.clone();
        let stopping = state.stopping.clone();
        // Bulk retries of gateway events run in ingest, beside the API that starts them.
        tokio::spawn(crate::gateway::bulk_worker::run(
            state.pool.clone(),
            state.gateway_metrics.clone(),
            shutdown.clone(),
        ));
        let limiter = web::Data::new(crate::ratelimit::RateLimiter::new(
            state.settings.ratelimit.clone(),
        ));
        let login_limiter = web::Data::new(crate::console::LoginLimiter::default());
        let document = crate::openapi::document();
        let allowed = web::Data::new(allowed_methods(&document));
        let doc = web::Data::new(serde_json::to_string(&document).expect("OpenAPI serialises"));
        let server = HttpServer::new(move || {
            // The document is registered before the `/api/v1` scope: a scope owns its whole
            // prefix, so a route under it registered later would never be reached.
            App::new()
                .service(crate::openapi::serve)
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(limiter.clone())
                .app_data(doc.clone())
                .app_data(allowed.clone())
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|_, _| ApiError::not_found("resource").into()),
                )
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|e, _| ApiError::invalid(e.to_string()).into()),
                )
                .configure(crate::routes::configure)
                .configure(crate::gateway::configure)
                .into_app()
                .app_data(login_limiter.clone())
                .configure(crate::console::configure)
                // The last wrap runs first: request id, authentication, limits (keyed by the
                // authenticated key), then idempotency keys (per caller), then the handler.
                .wrap(actix_web::middleware::from_fn(
                    crate::idempotency::idempotent,
                ))
                .wrap(actix_web::middleware::from_fn(crate::ratelimit::limit))
                .wrap(actix_web::middleware::from_fn(crate::auth::authenticate))
                .wrap(actix_web::middleware::from_fn(
                    crate::request_id::request_id,
                ))
                .service(crate::health::healthz)
                .service(crate::health::readyz)
                .service(crate::health::metrics)
                // Source URLs: any method, no key (the source's verification is the proof).
                .service(
                    web::resource(["/e/{source_id}", "/e/{source_id}/{suffix:.*}"])
                        .route(web::route().to(crate::gateway::inbound::receive)),
                )
                .default_service(web::to(unrouted))
        })
        .workers(self.workers)
        .disable_signals()
        .shutdown_timeout(30)
        .listen(self.listener)?
        .run();
        let handle = server.handle();
        // Forget cached API keys whenever one is deleted, in any replica.
        let deleted = std::sync::Arc::new(tokio::sync::Notify::new());
        tokio::spawn(hookd_db::listen(
            state_for_keys.settings.database.url.expose().clone(),
            "hookd_api_keys",
            deleted.clone(),
            shutdown.clone(),
        ));
        {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = deleted.notified() => state_for_keys.keys.remove_where(|_| true),
                    }
                }
            });
        }
        tokio::spawn(async move {
            shutdown.cancelled().await;
            stopping.cancel();
            handle.stop(true).await;
        });
        server.await
    }
}

/// The methods of each path of the OpenAPI document (`/api/v1/apps/{app_id}` → `GET, PATCH,
/// DELETE`), for the `Allow` header of a 405.
fn allowed_methods(doc: &utoipa::openapi::OpenApi) -> HashMap<String, String> {
    doc.paths
        .paths
        .iter()
        .map(|(path, item)| {
            let methods: Vec<&str> = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ]
            .into_iter()
            .filter_map(|(m, present)| present.then_some(m))
            .collect();
            (path.clone(), methods.join(", "))
        })
        .collect()
}

/// What no route answered: 405 (with `Allow`) when the path is a route of another method,
/// else 404; both in the error format.
async fn unrouted(req: HttpRequest, allowed: web::Data<HashMap<String, String>>) -> HttpResponse {
    let Some(pattern) = req.resource_map().match_pattern(req.path()) else {
        return ApiError::not_found("route").error_response();
    };
    // Routes outside the document (health, metrics, the document itself) are all GET.
    let allow = allowed.get(&pattern).map_or("GET", String::as_str);
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} is not allowed here; allowed: {allow}", req.method()),
    )
    .with_data(serde_json::json!({ "allow": allow }))
    .error_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}

/// The cipher of `secrets.encryption_key` (plaintext storage when it is not set).
pub fn secret_cipher(settings: &Settings) -> anyhow::Result<hookd_signing::SecretCipher> {
    let cipher = hookd_signing::SecretCipher::new(settings.encryption_key())
        .map_err(|e| anyhow::anyhow!("secrets.encryption_key: {e}"))?;
    if !cipher.seals() {
        tracing::warn!("secrets.encryption_key is not set: endpoint secrets are stored unsealed");
    }
    Ok(cipher)
}
