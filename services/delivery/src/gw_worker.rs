//! A delivery job of a gateway event (GATEWAY.md, Delivery): the same worker, gates and client
//! as endpoint deliveries, but the inbound request forwarded as it came (method, raw body,
//! headers) with the `x-hookdeck-*` headers, the destination's credential and the
//! organization's signature, and the try recorded as a gateway attempt.

use crate::attempt::TryResult;
use crate::circuit::{Gate, Transition};
use crate::gw_secrets::{Credential, SecretError};
use crate::worker::{Outcome, Worker};
use hookd_bus::envelopes::{DeliveryJob, GatewayDelivery};
use hookd_db::gateway::cli_relay;
use hookd_db::gateway::dispatch::{self, TryRecord};
use hookd_outbound::OutboundRequest;
use hookd_telemetry::prometheus::{IntCounterVec, Opts, Registry};
use std::time::Duration;
use uuid::Uuid;

/// `hookd_gateway_attempts_total{outcome}` of the delivery workers.
#[derive(Clone)]
pub struct GatewayAttemptMetrics {
    pub attempts: IntCounterVec,
}

impl GatewayAttemptMetrics {
    pub fn register(registry: &Registry) -> Self {
        let attempts = IntCounterVec::new(
            Opts::new(
                "hookd_gateway_attempts_total",
                "Tries of gateway events, by outcome.",
            ),
            &["outcome"],
        )
        .expect("metric");
        for o in [
            "successful",
            "retry_scheduled",
            "failed",
            "postponed",
            "dropped",
        ] {
            attempts.with_label_values(&[o]);
        }
        registry
            .register(Box::new(attempts.clone()))
            .expect("register metric");
        Self { attempts }
    }
}

/// How long a job waits for its destination's in-flight cap before it is put off.
const SLOT_WAIT: Duration = Duration::from_millis(250);

fn period(p: Option<&str>) -> Option<Duration> {
    match p {
        Some("second") => Some(Duration::from_secs(1)),
        Some("minute") => Some(Duration::from_secs(60)),
        Some("hour") => Some(Duration::from_secs(3600)),
        _ => None,
    }
}

/// The request as the destination gets it: the event's headers (`hookd_bus::gateway_headers`)
/// and the destination's credential.
fn request(
    job: &DeliveryJob,
    gw: &GatewayDelivery,
    credential: &Credential,
    signing: &crate::gw_secrets::OrgSigning,
) -> OutboundRequest {
    let signing = hookd_bus::GatewaySigning {
        current: &signing.current,
        previous: signing.previous.as_deref(),
    };
    let mut headers = hookd_bus::gateway_headers(job, gw, &signing);
    let mut url = job.url.clone();
    match credential {
        Credential::None => {}
        Credential::Header(name, value) => {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.clone(), value.clone()));
        }
        Credential::Query(key, value) => {
            let pair: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(key, value)
                .finish();
            let sep = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{sep}{pair}");
        }
    }
    OutboundRequest {
        method: Some(gw.method.clone()),
        url,
        headers,
        body: job.payload.clone().into(),
    }
}

impl Worker {
    /// Tries a gateway job once and records the attempt.
    pub async fn deliver_gateway(
        &self,
        job: &DeliveryJob,
        gw: &GatewayDelivery,
    ) -> Result<Outcome, String> {
        let (Ok(event_id), Ok(destination_id), Ok(organization_id)) = (
            Uuid::parse_str(&gw.event_id),
            Uuid::parse_str(&job.endpoint_id),
            Uuid::parse_str(&gw.organization_id),
        ) else {
            return Err("malformed ids in gateway job".into());
        };
        if job.url.starts_with(cli_relay::CLI_TARGET) {
            // A CLI destination: no POST; the event waits for `hookctl listen --source`.
            let client = self.pool.get().await.map_err(|e| e.to_string())?;
            cli_relay::park(&client, event_id, job.attempt.max(1) as i32)
                .await
                .map_err(|e| e.to_string())?;
            tracing::debug!(%event_id, %destination_id, "cli destination: parked for hookctl listen");
            return Ok(Outcome::Parked);
        }
        let secrets = async {
            let credential = self
                .gateway
                .credential(destination_id, job.endpoint_revision)
                .await?;
            let signing = self
                .gateway
                .signing(organization_id, gw.signing_revision)
                .await?;
            Ok::<_, SecretError>((credential, signing))
        }
        .await;
        let (result, transition) = match secrets {
            Err(SecretError::Gone) => {
                tracing::info!(%event_id, %destination_id, "the destination was deleted; dropping its job");
                self.gw_metrics
                    .attempts
                    .with_label_values(&["dropped"])
                    .inc();
                return Ok(Outcome::Dropped);
            }
            Err(SecretError::Db(e)) => return Err(e.to_string()),
            Err(e) => {
                // Never sent without its credential or signature: a failed try that says why.
                tracing::error!(%event_id, %destination_id, error = %e, "cannot open the gateway secrets; the attempt fails");
                (crate::attempt::not_sent(e.to_string()), Transition::None)
            }
            Ok((credential, signing)) => {
                let req = request(job, gw, &credential, &signing);
                match self
                    .send_gateway(destination_id, gw, req, job.explicit)
                    .await
                {
                    Ok(sent) => sent,
                    Err(wait) => {
                        let client = self.pool.get().await.map_err(|e| e.to_string())?;
                        let at = chrono::Utc::now()
                            + chrono::Duration::from_std(wait).unwrap_or_default();
                        dispatch::postpone(&client, event_id, at)
                            .await
                            .map_err(|e| e.to_string())?;
                        self.gw_metrics
                            .attempts
                            .with_label_values(&["postponed"])
                            .inc();
                        return Ok(Outcome::Postponed);
                    }
                }
            }
        };
        let succeeded = result.succeeded();
        let record = TryRecord {
            event_id,
            destination_id,
            trigger: gw.trigger.clone(),
            succeeded,
            response_status: result.status.map(i32::from),
            error_code: result.error_code.clone(),
            body: result.body.clone().or(result.error.clone()),
            requested_url: job.url.clone(),
            http_method: gw.method.clone(),
            duration_ms: result.duration.as_millis().min(i32::MAX as u128) as i32,
        };
        // Shares a transaction with concurrent tries; the retry is decided there.
        let recorded = self
            .record_gateway(&record, job.attempt.max(1) as i32)
            .await
            .map_err(|e| e.to_string())?;
        // Destinations have no failing/disabled state to track: the circuit alone guards them.
        let _ = transition;
        let Some(recorded) = recorded else {
            self.gw_metrics
                .attempts
                .with_label_values(&["dropped"])
                .inc();
            return Ok(Outcome::Dropped);
        };
        let outcome = if succeeded {
            Outcome::Succeeded
        } else if recorded.retry_at.is_some() {
            Outcome::RetryScheduled
        } else {
            Outcome::Failed
        };
        let label = match outcome {
            Outcome::Succeeded => "successful",
            Outcome::RetryScheduled => "retry_scheduled",
            _ => "failed",
        };
        self.gw_metrics.attempts.with_label_values(&[label]).inc();
        tracing::info!(%event_id, attempt = recorded.attempt_number, trigger = %gw.trigger,
            status = ?result.status, outcome = label, "gateway attempt recorded");
        if succeeded {
            let e2e = (chrono::Utc::now().timestamp_micros() - job.accepted_at_micros).max(0);
            self.metrics.end_to_end.observe(e2e as f64 / 1e6);
        }
        Ok(outcome)
    }

    /// Sends once past the destination's caps, circuit and rate limit; `Err` is how long to
    /// put the job off when one of them says wait.
    async fn send_gateway(
        &self,
        destination_id: Uuid,
        gw: &GatewayDelivery,
        req: OutboundRequest,
        explicit: bool,
    ) -> Result<(TryResult, Transition), Duration> {
        let cap = match (gw.rate_limit, gw.rate_limit_period.as_deref()) {
            (Some(n), Some("concurrent")) => n as usize,
            _ => self.settings.delivery.per_endpoint_concurrency,
        };
        // As for endpoints (`Worker::send`): held a while at the cap, else put off to its turn
        // at the destination's pace; turned back by an open circuit, also to its turn.
        let timeout = self.settings.delivery.timeout;
        let slot = self
            .limiter
            .acquire_or_hold_capped(
                destination_id,
                cap,
                SLOT_WAIT,
                self.hold_limit(),
                timeout,
                crate::worker::MOST_PUT_OFF,
            )
            .await?;
        if let Gate::Wait(delay) = self.circuit_gate(destination_id, explicit) {
            let turn = self
                .limiter
                .turn(destination_id, timeout, crate::worker::MOST_PUT_OFF);
            return Err(delay.max(turn));
        }
        if let (Some(n), Some(p)) = (gw.rate_limit, period(gw.rate_limit_period.as_deref())) {
            self.pacer.take_per(destination_id, n, p)?;
        }
        let global = self.global.acquire().await.ok();
        let result = crate::attempt::send_once(&self.client, req).await;
        slot.tried(result.duration);
        self.metrics
            .attempt_duration
            .observe(result.duration.as_secs_f64());
        let transition = self.circuits.record(destination_id, result.succeeded());
        drop(global);
        drop(slot);
        Ok((result, transition))
    }
}
