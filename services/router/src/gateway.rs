//! The gateway's router: turns each accepted inbound request into one event per matching
//! connection (the others recorded as ignored) in one transaction, then publishes a delivery
//! job per queued event through the same builder the delivery scheduler uses. A request is
//! routed once (`routed_at`); its queued events are leased before their jobs are published, so
//! a job lost after the commit is sent again by the delivery scheduler when the lease runs out.

use crate::gateway_decide::{decide, no_connection};
use hookd_bus::envelopes::RequestAccepted;
use hookd_bus::{Ack, Publisher, Route};
use hookd_db::gateway::routing::{self, ConnectionRoute, Inbound, Outcome};
use hookd_db::{DbError, Pool};
use hookd_signing::SecretCipher;
use hookd_telemetry::prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use prost::Message as _;
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

/// What the gateway router shares between envelopes.
pub struct GatewayRouter {
    pub pool: Pool,
    pub publisher: std::sync::Arc<Publisher>,
    pub cipher: SecretCipher,
    pub lease: Duration,
    pub metrics: GatewayMetrics,
    pub view: crate::gateway_view::GatewayView,
}

/// The header names never forwarded for a request: its source's verification credential.
pub fn credential_headers(cipher: &SecretCipher, request: &Inbound) -> Vec<String> {
    let configs = request
        .verification_configs
        .as_deref()
        .and_then(|sealed| cipher.open(sealed).ok())
        .and_then(|plain| serde_json::from_str(&plain).ok())
        .unwrap_or(serde_json::Value::Null);
    hookd_bus::credential_headers(request.verification_type.as_deref(), &configs)
}

impl GatewayRouter {
    /// Routes one request; returns the events created now.
    pub async fn route(&self, request_id: Uuid) -> Result<usize, DbError> {
        let lease_until =
            chrono::Utc::now() + chrono::Duration::from_std(self.lease).unwrap_or_default();
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let Some((request, version)) = routing::lock_unrouted(&tx, request_id).await? else {
            // Gone, rejected or routed before (a redelivery): nothing to do.
            return Ok(0);
        };
        // A change committed before this request was read is seen: a pause or a disable
        // applies to every request routed after it.
        self.view.at_least(&tx, version).await?;
        let snapshot = self.view.snapshot();
        let prepared = snapshot.of_source(request.source_id);
        let connections: Vec<ConnectionRoute> = prepared.iter().map(|p| p.route.clone()).collect();
        let now = chrono::Utc::now();
        let outcomes: Vec<Outcome> = if prepared.is_empty() {
            vec![no_connection()]
        } else {
            prepared
                .iter()
                .map(|p| decide(&p.route, p.filter.as_ref(), &request.data, now, lease_until))
                .collect()
        };
        let signing_revision = routing::signing_revision(&tx, request.organization_id).await?;
        let created = routing::record(&tx, &request, &outcomes).await?;
        tx.commit().await?;
        drop(client);
        for o in &outcomes {
            match o {
                Outcome::Ignored { cause, .. } => {
                    self.metrics
                        .events_ignored
                        .with_label_values(&[cause])
                        .inc();
                    tracing::info!(%request_id, cause, "connection ignored the request");
                }
                Outcome::Event { id, status, .. } if created.contains(id) => {
                    self.metrics
                        .events_created
                        .with_label_values(&[status])
                        .inc();
                    tracing::info!(%request_id, event_id = %id, status, "event created");
                }
                Outcome::Event { .. } => {}
            }
        }
        self.publish(
            &request,
            &connections,
            &outcomes,
            &created,
            signing_revision,
        )
        .await;
        Ok(created.len())
    }

    async fn publish(
        &self,
        request: &Inbound,
        connections: &[ConnectionRoute],
        outcomes: &[Outcome],
        created: &[Uuid],
        signing_revision: i64,
    ) {
        let strip = credential_headers(&self.cipher, request);
        let gw_request = hookd_bus::GatewayRequest {
            method: &request.method,
            data: &request.data,
            body: &request.body,
            source_name: &request.source_name,
            verified: request.verified,
            credential_headers: &strip,
        };
        let jobs = connections
            .iter()
            .zip(outcomes)
            .filter_map(|(c, o)| match o {
                Outcome::Event {
                    id,
                    status: "QUEUED",
                    ..
                } if created.contains(id) => {
                    let d = &c.destination;
                    let job = hookd_bus::gateway_job(
                        &hookd_bus::GatewayTry {
                            event_id: *id,
                            request_id: request.id,
                            organization_id: request.organization_id,
                            attempt: 1,
                            trigger: "INITIAL",
                            signing_revision,
                            accepted_at_micros: request.created_at.timestamp_micros(),
                        },
                        &gw_request,
                        &hookd_bus::GatewayDestination {
                            id: d.id,
                            url: d.url.as_deref().unwrap_or_default(),
                            http_method: d.http_method.as_deref(),
                            path_forwarding_disabled: d.path_forwarding_disabled,
                            rate_limit: d.rate_limit,
                            rate_limit_period: d.rate_limit_period.as_deref(),
                            revision: d.revision,
                        },
                    );
                    Some(async move { self.publisher.publish(Route::Deliveries, &job).await })
                }
                _ => None,
            });
        for result in futures_util::future::join_all(jobs).await {
            match result {
                Ok(()) => self.metrics.jobs_published.inc(),
                Err(e) => tracing::warn!(error = %e,
                    "gateway job publish failed; the lease will expire and resend it"),
            }
        }
    }

    /// The consumer's decision for one `RequestAccepted`.
    pub async fn handle(&self, bytes: &[u8]) -> Ack {
        let Ok(envelope) = RequestAccepted::decode(bytes) else {
            tracing::error!("undecodable RequestAccepted envelope; dead-lettering it");
            return Ack::Reject;
        };
        let Ok(request_id) = Uuid::parse_str(&envelope.request_id) else {
            tracing::error!(request_id = %envelope.request_id, "RequestAccepted with a malformed id; dead-lettering it");
            return Ack::Reject;
        };
        let span = tracing::info_span!("gateway.route", %request_id);
        let span = hookd_bus::continue_trace(span, envelope.traceparent.as_deref());
        match self.route(request_id).instrument(span).await {
            Ok(_) => Ack::Ack,
            Err(e) => {
                self.metrics.route_errors.inc();
                tracing::warn!(%request_id, error = %e, "gateway routing failed; requeueing");
                // Do not spin on a dead database.
                tokio::time::sleep(Duration::from_millis(500)).await;
                Ack::Requeue
            }
        }
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
        for (id, source_id, org_id, at) in &unrouted {
            let envelope =
                hookd_bus::request_accepted(*id, *source_id, *org_id, at.timestamp_micros());
            if self
                .publisher
                .publish(Route::Requests, &envelope)
                .await
                .is_ok()
            {
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
