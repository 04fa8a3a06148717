//! The gateway's router: consumes `RequestAccepted` envelopes, routes them in batches
//! (`gateway_route`) and publishes each request's delivery jobs; and the outbox relay that
//! publishes accepted requests whose envelope was lost.

use crate::gateway_route::{Jobs, RouteWriter, ToRoute};
use hookd_bus::envelopes::RequestAccepted;
use hookd_bus::{Ack, InFlight, Publisher, Route};
use hookd_db::gateway::routing;
use hookd_db::{Batcher, DbError, Pool};
use hookd_service::JobBudget;
use hookd_signing::SecretCipher;
use hookd_telemetry::prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use prost::Message as _;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;
use uuid::Uuid;

/// `hookd_gateway_*` metrics of the router.
#[derive(Clone)]
pub struct GatewayMetrics {
    pub events_created: IntCounterVec,
    pub events_ignored: IntCounterVec,
    pub jobs_published: IntCounter,
    pub requests_relayed: IntCounter,
    pub route_errors: IntCounter,
}

impl GatewayMetrics {
    pub fn register(registry: &Registry) -> Self {
        let vec = |name: &str, help: &str, label: &str, values: &[&str]| {
            let v = IntCounterVec::new(Opts::new(name, help), &[label]).expect("metric");
            for value in values {
                v.with_label_values(&[value]);
            }
            registry.register(Box::new(v.clone())).expect("register");
            v
        };
        let counter = |name: &str, help: &str| {
            let c = IntCounter::with_opts(Opts::new(name, help)).expect("metric");
            registry.register(Box::new(c.clone())).expect("register");
            c
        };
        Self {
            events_created: vec(
                "hookd_gateway_events_created_total",
                "Gateway events created by the router, by initial status.",
                "status",
                &["QUEUED", "SCHEDULED", "HOLD"],
            ),
            events_ignored: vec(
                "hookd_gateway_events_ignored_total",
                "Connections of an inbound request that made no event, by cause.",
                "cause",
                &["DISABLED", "FILTERED", "NO_CONNECTION"],
            ),
            jobs_published: counter(
                "hookd_gateway_jobs_published_total",
                "Delivery jobs of gateway events published by the router.",
            ),
            requests_relayed: counter(
                "hookd_gateway_requests_relayed_total",
                "Accepted inbound requests published again by the relay.",
            ),
            route_errors: counter(
                "hookd_gateway_route_errors_total",
                "Inbound requests put back on the queue because a dependency failed.",
            ),
        }
    }
}

/// What the gateway router shares between envelopes: concurrent envelopes are routed in
/// batches (one transaction each), and each handler publishes its own request's jobs.
pub struct GatewayRouter {
    pub pool: Pool,
    pub publisher: std::sync::Arc<Publisher>,
    pub metrics: GatewayMetrics,
    pub view: crate::gateway_view::GatewayView,
    batcher: Batcher<ToRoute, Jobs>,
    /// The router's job budget, shared with the fan-out.
    budget: JobBudget,
    /// Bounds the requests routed at once (`amqp.prefetch`), however ingest batched them.
    in_flight: InFlight,
}

const MAX_BATCH: usize = 128;
const FLUSHES: usize = 4;

impl GatewayRouter {
    pub fn new(
        pool: Pool,
        publisher: std::sync::Arc<Publisher>,
        cipher: SecretCipher,
        lease: Duration,
        budget: JobBudget,
        in_flight: InFlight,
        metrics: GatewayMetrics,
    ) -> Self {
        let view = crate::gateway_view::GatewayView::default();
        let writer = RouteWriter {
            view: view.clone(),
            cipher,
            lease,
            metrics: metrics.clone(),
        };
        Self {
            batcher: Batcher::on_pool(pool.clone(), MAX_BATCH, FLUSHES, Arc::new(writer)),
            pool,
            publisher,
            metrics,
            view,
            budget,
            in_flight,
        }
    }

    /// Publishes a routed request's jobs (built with its routing) within the router's job
    /// budget; a job whose publish fails is sent again by the delivery scheduler when its lease
    /// runs out.
    async fn publish(&self, jobs: Jobs) {
        hookd_service::publish_jobs(
            &self.publisher,
            Some(&self.budget),
            &jobs,
            |job| JobBudget::job_cost(job.len()),
            |job| Some((job.as_slice(), tracing::Span::current())),
            |result| match result {
                Ok(()) => self.metrics.jobs_published.inc(),
                Err(e) => tracing::warn!(error = %e,
                    "gateway job publish failed; the lease will expire and resend it"),
            },
        )
        .await;
    }

    /// The consumer's decision for one broker message: its `RequestAccepted` and those batched
    /// with it, routed concurrently (their routing shares transactions).
    pub async fn handle(&self, bytes: &[u8]) -> Ack {
        let Ok(envelope) = RequestAccepted::decode(bytes) else {
            tracing::error!("undecodable RequestAccepted envelope; dead-lettering it");
            return Ack::Reject;
        };
        self.in_flight.route(envelope, |e| self.route_one(e)).await
    }

    async fn route_one(&self, envelope: RequestAccepted) -> Ack {
        let Ok(request_id) = Uuid::parse_str(&envelope.request_id) else {
            tracing::error!(request_id = %envelope.request_id, "RequestAccepted with a malformed id; dead-lettering it");
            return Ack::Reject;
        };
        let span = tracing::info_span!("gateway.route", %request_id);
        let span = hookd_bus::continue_trace(span, envelope.traceparent.as_deref());
        let item = ToRoute {
            id: request_id,
            span: span.clone(),
        };
        async {
            match self.batcher.submit(item).await {
                Ok(jobs) => {
                    self.publish(jobs).await;
                    Ack::Ack
                }
                Err(e) => {
                    self.metrics.route_errors.inc();
                    tracing::warn!(%request_id, error = %e, "gateway routing failed; requeueing");
                    // Do not spin on a dead database.
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    Ack::Requeue
                }
            }
        }
        .instrument(span)
        .await
    }

    /// The outbox relay for inbound requests: publishes accepted requests never routed (ingest
    /// crashed between its commit and its publish, or the broker was down), only while the
    /// requests queue is empty so a backlog is not doubled. Returns how many it published.
    pub async fn relay_once(&self, relay_after: Duration) -> Result<usize, DbError> {
        match self.publisher.queue_depth(Route::Requests).await {
            Ok(0) => {}
            _ => return Ok(0),
        }
        let before =
            chrono::Utc::now() - chrono::Duration::from_std(relay_after).unwrap_or_default();
        let client = self.pool.get().await?;
        let unrouted = routing::unrouted(&client, before, 500).await?;
        drop(client);
        let mut published = 0;
        for r in &unrouted {
            // In a step of the request's own trace, so its routing continues that trace.
            let span = tracing::info_span!("gateway.relay", request_id = %r.id);
            let span = hookd_bus::continue_trace(span, r.traceparent.as_deref());
            let envelope = span.in_scope(|| {
                hookd_bus::request_accepted(
                    r.id,
                    r.source_id,
                    r.organization_id,
                    r.created_at.timestamp_micros(),
                )
                .encode_to_vec()
            });
            let sent = self.publisher.publish(Route::Requests, &envelope);
            if sent.instrument(span).await.is_ok() {
                published += 1;
            }
        }
        if published > 0 {
            self.metrics.requests_relayed.inc_by(published as u64);
            tracing::info!(published, "relayed unrouted inbound requests");
        }
        Ok(published)
    }
}
