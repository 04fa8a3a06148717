//! Routing a batch of accepted inbound requests in one transaction (GATEWAY.md, Inbound 4):
//! each becomes one event per matching connection (the others recorded as ignored), and the
//! delivery jobs of its queued events are built, through the same builder the delivery
//! scheduler uses, for the caller to publish once the batch is committed. A request is routed
//! once (`routed_at`); its queued events are leased before their jobs are published, so a job
//! lost after the commit is sent again by the delivery scheduler when the lease runs out.

use crate::gateway::GatewayMetrics;
use crate::gateway_decide::{decide, no_connection};
use crate::gateway_view::GatewayView;
use futures_util::future::BoxFuture;
use hookd_db::gateway::route_record;
use hookd_db::gateway::routing::{ConnectionRoute, Inbound, Outcome};
use hookd_db::{BatchWrite, Client, DbError};
use hookd_signing::SecretCipher;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tracing::Instrument;
use uuid::Uuid;

/// The delivery jobs of one routed request (none: nothing to deliver now, or routed before).
pub type Jobs = Vec<Vec<u8>>;

/// What routing a batch needs: the connections view, the cipher of verification configs and
/// the lease of the jobs it publishes.
pub struct RouteWriter {
    pub view: GatewayView,
    pub cipher: SecretCipher,
    pub lease: Duration,
    pub metrics: GatewayMetrics,
}

/// One request to route, with the span of its `gateway.route` step: its jobs are built inside
/// it, so they carry that request's trace and not the batch's.
pub struct ToRoute {
    pub id: Uuid,
    pub span: tracing::Span,
}

impl BatchWrite<ToRoute, Jobs> for RouteWriter {
    fn write<'a>(
        &'a self,
        client: &'a mut Client,
        items: &'a [ToRoute],
    ) -> BoxFuture<'a, Result<Vec<Jobs>, DbError>> {
        let span = tracing::info_span!("gateway.route_batch", requests = items.len());
        Box::pin(self.route(client, items).instrument(span))
    }
}

/// The header names never forwarded for a request: its source's verification credential.
pub fn credential_headers(cipher: &SecretCipher, request: &Inbound) -> Vec<String> {
    hookd_bus::sealed_credential_headers(
        cipher,
        request.verification_type.as_deref(),
        request.verification_configs.as_deref(),
    )
}

impl RouteWriter {
    /// Routes the requests; answers each id with its jobs, in order.
    async fn route(&self, client: &mut Client, items: &[ToRoute]) -> Result<Vec<Jobs>, DbError> {
        let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
        let spans: HashMap<Uuid, &tracing::Span> = items.iter().map(|i| (i.id, &i.span)).collect();
        let lease_until =
            chrono::Utc::now() + chrono::Duration::from_std(self.lease).unwrap_or_default();
        // Two round trips: the lock, then the writes with COMMIT (`route_record`).
        let (requests, version) = route_record::begin_and_lock(client, &ids).await?;
        if requests.is_empty() {
            // Gone, rejected or routed before (redeliveries): nothing to do.
            route_record::rollback(client).await;
            return Ok(vec![Vec::new(); ids.len()]);
        }
        // A change committed before these requests were read is seen: a pause or a disable
        // applies to every request routed after it.
        if let Err(e) = self.view.at_least(&*client, version).await {
            route_record::rollback(client).await;
            return Err(e);
        }
        let snapshot = self.view.snapshot();
        let now = chrono::Utc::now();
        let decided: Vec<(Vec<ConnectionRoute>, Vec<Outcome>)> = requests
            .iter()
            .map(|request| {
                let prepared = snapshot.of_source(request.source_id);
                let outcomes = if prepared.is_empty() {
                    vec![no_connection()]
                } else {
                    prepared
                        .iter()
                        .map(|p| {
                            decide(&p.route, p.filter.as_ref(), &request.data, now, lease_until)
                        })
                        .collect()
                };
                (prepared.iter().map(|p| p.route.clone()).collect(), outcomes)
            })
            .collect();
        let orgs: Vec<Uuid> = requests
            .iter()
            .map(|r| r.organization_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let batch: Vec<(&Inbound, &[Outcome])> = requests
            .iter()
            .zip(&decided)
            .map(|(r, (_, outcomes))| (r, outcomes.as_slice()))
            .collect();
        let route_record::Recorded { created, revisions } =
            route_record::record_and_commit(client, &batch, &orgs).await?;
        let mut jobs: HashMap<Uuid, Jobs> = HashMap::with_capacity(requests.len());
        for (request, (connections, outcomes)) in requests.iter().zip(&decided) {
            self.count(request.id, outcomes, &created);
            let revision = revisions
                .get(&request.organization_id)
                .copied()
                .unwrap_or(0);
            let _in_request = spans.get(&request.id).map(|s| s.enter());
            jobs.insert(
                request.id,
                self.jobs(request, connections, outcomes, &created, revision),
            );
        }
        // A duplicate id in the batch (a redelivered envelope) gets nothing the second time.
        Ok(ids
            .iter()
            .map(|id| jobs.remove(id).unwrap_or_default())
            .collect())
    }

    fn count(&self, request_id: Uuid, outcomes: &[Outcome], created: &HashSet<Uuid>) {
        for o in outcomes {
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
    }

    /// The jobs of the request's events created now as QUEUED.
    fn jobs(
        &self,
        request: &Inbound,
        connections: &[ConnectionRoute],
        outcomes: &[Outcome],
        created: &HashSet<Uuid>,
        signing_revision: i64,
    ) -> Jobs {
        let strip = credential_headers(&self.cipher, request);
        let gw_request = hookd_bus::GatewayRequest {
            method: &request.method,
            data: &request.data,
            body: &request.body,
            source_name: &request.source_name,
            verified: request.verified,
            credential_headers: &strip,
        };
        connections
            .iter()
            .zip(outcomes)
            .filter_map(|(c, o)| match o {
                Outcome::Event {
                    id,
                    status: "QUEUED",
                    ..
                } if created.contains(id) => {
                    let d = &c.destination;
                    Some(hookd_bus::gateway_job(
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
                            url: d.target(),
                            http_method: d.http_method.as_deref(),
                            path_forwarding_disabled: d.path_forwarding_disabled,
                            rate_limit: d.rate_limit,
                            rate_limit_period: d.rate_limit_period.as_deref(),
                            revision: d.revision,
                        },
                    ))
                }
                _ => None,
            })
            .collect()
    }
}
