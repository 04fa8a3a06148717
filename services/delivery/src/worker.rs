use crate::attempt::TryResult;
use crate::attempt::{not_sent, try_once};
use crate::circuit::{Gate, Transition};
use crate::events::{AttemptRecorded, JobPostponed, TryStamps, UnsignedRefused};
use crate::limiter::EndpointLimiter;
use crate::metrics::DeliveryMetrics;
use crate::recorder::Recorder;
use crate::signing::{Signing, SigningLookupError};
use hookd_bus::envelopes::DeliveryJob;
use hookd_bus::Ack;
use hookd_config::Settings;
use hookd_db::deliveries::AttemptRecord;
use hookd_db::Pool;
use hookd_domain::next_delay;
use hookd_domain::DeliveryStatus;
use hookd_outbound::OutboundClient;
use prost::Message as _;
use std::sync::Arc;
use std::time::Duration;
use tracing::{Instrument, Span};
use uuid::Uuid;

/// Everything a delivery job needs, shared by the consumer's tasks.
pub struct Worker {
    pub settings: Arc<Settings>,
    pub pool: Pool,
    pub client: OutboundClient,
    pub limiter: Arc<EndpointLimiter>,
    pub recorder: Recorder,
    /// Jobs put off, written in batches.
    pub postponer: crate::postponer::Postponer,
    pub metrics: DeliveryMetrics,
    pub global: Arc<tokio::sync::Semaphore>,
    pub signing: crate::signing::SigningCache,
    pub circuits: crate::circuit::Circuits,
    pub pacer: crate::pacer::Pacer,
    /// Gateway destinations' credentials and organizations' signing secrets.
    pub gateway: crate::gw_secrets::GatewaySecrets,
    pub gw_metrics: crate::gw_worker::GatewayAttemptMetrics,
    /// Gateway attempt records, batched.
    pub gw_recorder: crate::gw_recorder::GatewayRecorder,
    /// Publishes the next job of a fifo lane whose head this worker settled while it stops.
    pub publisher: Arc<hookd_bus::Publisher>,
    /// Cancelled when the worker stops: a fifo lane's next job then goes to the queue rather
    /// than run in this process (see `lane_chain`).
    pub stopping: tokio_util::sync::CancellationToken,
}

/// How long a job waits for its endpoint's in-flight cap before it is held or put off.
const SLOT_WAIT: Duration = Duration::from_millis(250);
/// The longest a job put off by its endpoint's cap waits before its turn comes: a hanging
/// endpoint's backlog is spread over this at most.
pub(crate) const MOST_PUT_OFF: Duration = Duration::from_secs(30);

/// What became of one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    RetryScheduled,
    Failed,
    Postponed,
    /// Nothing to do: the endpoint was deleted after the job was built.
    Dropped,
    /// A `cli` endpoint's job: no POST; the delivery waits for `hookctl listen` (ingest's
    /// relay hands it out).
    Parked,
}

fn chrono_after(d: Duration) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::days(1))
}

impl Worker {
    async fn postpone(
        &self,
        delivery_id: Uuid,
        attempt: i32,
        delay: Duration,
    ) -> Result<Outcome, String> {
        let job = hookd_db::deliveries::Postponement {
            id: delivery_id,
            attempt,
            at: chrono_after(delay),
        };
        self.postponer
            .submit(job)
            .await
            .map_err(|e| e.to_string())?;
        JobPostponed { delivery_id, delay }.emit(&self.metrics);
        Ok(Outcome::Postponed)
    }

    /// How long a job may be held for its endpoint's slot. A held job stays unacked with its
    /// delivery leased: it is let go well within the lease, so no second copy goes out meanwhile.
    pub(crate) fn hold_limit(&self) -> Duration {
        let settings = &self.settings.delivery;
        settings.timeout.min(settings.lease / 4)
    }

    /// Writes what a circuit transition means, and only then: the start of a run of failures,
    /// its end, and (when the circuit opens) the check for sustained failure that disables.
    pub(crate) async fn track_health(
        &self,
        endpoint_id: Uuid,
        transition: Transition,
    ) -> Result<(), String> {
        if transition == Transition::None {
            return Ok(());
        }
        let client = self.pool.get().await.map_err(|e| e.to_string())?;
        let result = match transition {
            Transition::StartedFailing => {
                hookd_db::endpoints::mark_failing(&client, endpoint_id).await
            }
            Transition::Recovered => hookd_db::endpoints::clear_failing(&client, endpoint_id).await,
            Transition::Opened => {
                self.metrics.circuits_opened.inc();
                hookd_db::endpoints::open_circuit(&client, endpoint_id)
                    .await
                    .map_err(|e| e.to_string())?;
                match hookd_db::endpoints::disable_if_failing_since(
                    &client,
                    endpoint_id,
                    self.settings.delivery.disable_after,
                )
                .await
                {
                    Ok(true) => {
                        self.metrics.endpoints_disabled.inc();
                        tracing::warn!(%endpoint_id, "endpoint disabled after sustained failure");
                        Ok(())
                    }
                    Ok(false) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            Transition::None => Ok(()),
        };
        result.map_err(|e| e.to_string())
    }

    /// The circuit's word on a try to `target` (an endpoint or a destination): a retry someone
    /// asked for (`explicit`) goes now, as the probe of an open circuit.
    pub(crate) fn circuit_gate(&self, target: Uuid, explicit: bool) -> Gate {
        if explicit {
            self.circuits.probe_now(target)
        } else {
            self.circuits.gate(target)
        }
    }

    /// Sends the job once, past the endpoint's caps, circuit and rate limit; `Err` is how long
    /// to put the job off when one of them says wait. Also returns when the try started.
    #[tracing::instrument(name = "delivery.try", skip_all,
        fields(endpoint_id = %endpoint_id, attempt = job.attempt, status = tracing::field::Empty, waited = tracing::field::Empty))]
    async fn send(
        &self,
        job: &DeliveryJob,
        endpoint_id: Uuid,
        signing: &Signing,
    ) -> Result<(TryResult, Transition, i64), Duration> {
        let settings = &self.settings.delivery;
        let slot = match self
            .limiter
            .acquire_or_hold(
                endpoint_id,
                SLOT_WAIT,
                self.hold_limit(),
                settings.timeout,
                MOST_PUT_OFF,
            )
            .await
        {
            Ok(slot) => slot,
            Err(turn) => {
                // Its endpoint is at its cap and slow to free a slot, and holds as many jobs
                // as it may: put the job off to its turn rather than take a consumer slot
                // that other endpoints' jobs need, or send it back every few seconds.
                Span::current().record("waited", "endpoint cap");
                return Err(turn);
            }
        };
        if let Gate::Wait(delay) = self.circuit_gate(endpoint_id, job.explicit) {
            // Its circuit is open: the job waits for the probe instead of hammering the endpoint,
            // and for its turn: the backlog then comes back at the endpoint's pace, not all at
            // the probe's time (a failed probe would send the whole of it back again).
            Span::current().record("waited", "circuit open");
            let turn = self
                .limiter
                .turn(endpoint_id, settings.timeout, MOST_PUT_OFF);
            return Err(delay.max(turn));
        }
        if let Some(rate) = job.rate_limit {
            // Over the endpoint's own rate limit: try again when a token is there.
            self.pacer.take(endpoint_id, rate)?;
        }
        // The semaphore is never closed, so this always holds a permit.
        let global = self.global.acquire().await.ok();
        let started = hookd_bus::now_micros();
        let result = try_once(&self.client, job, signing).await;
        slot.tried(result.duration);
        if let Some(status) = result.status {
            Span::current().record("status", status);
        }
        self.metrics
            .attempt_duration
            .observe(result.duration.as_secs_f64());
        // The circuit learns before the slot frees, so no try slips past a circuit that opens.
        let transition = self.circuits.record(endpoint_id, result.succeeded());
        // The caps bound requests in flight, not the bookkeeping after them.
        drop(global);
        drop(slot);
        Ok((result, transition, started))
    }

    /// The consumer's decision for one envelope, in a span that continues the job's trace;
    /// `redelivered`: the broker handed it out before (to a consumer whose link died before
    /// its ack).
    pub async fn handle(self: &Arc<Self>, bytes: &[u8], redelivered: bool) -> Ack {
        let Ok(job) = DeliveryJob::decode(bytes) else {
            tracing::error!("undecodable DeliveryJob envelope; dead-lettering it");
            return Ack::Reject;
        };
        let span = tracing::info_span!("delivery.consume", delivery_id = %job.delivery_id,
            message_id = %job.message_id, attempt = job.attempt);
        let span = hookd_bus::continue_trace(span, job.traceparent.as_deref());
        self.handle_job(&job, redelivered).instrument(span).await
    }

    async fn handle_job(self: &Arc<Self>, job: &DeliveryJob, redelivered: bool) -> Ack {
        // A fifo job is checked even when fresh: a stale copy of a settled head must not go
        // after the next message of its lane.
        if redelivered || job.ordered {
            match self.already_tried(job).await {
                Ok(true) => {
                    self.metrics.redelivered_skipped.inc();
                    return Ack::Ack;
                }
                // A try that could not be recorded must not go: the job waits in the queue.
                Err(e) => {
                    tracing::warn!(delivery_id = %job.delivery_id, error = %e,
                        "cannot tell whether the job was tried; requeueing it unsent");
                    return Ack::Requeue;
                }
                Ok(false) => {}
            }
        }
        let delivered = match &job.gateway {
            Some(gw) => {
                let span = tracing::info_span!("gateway.deliver", event_id = %gw.event_id,
                    attempt = job.attempt, trigger = %gw.trigger);
                self.deliver_gateway(job, gw).instrument(span).await
            }
            None => self.deliver(job).await,
        };
        match delivered {
            Ok(_) => Ack::Ack,
            Err(e) => {
                tracing::warn!(delivery_id = %job.delivery_id, error = %e, "could not record the attempt; requeueing");
                tokio::time::sleep(Duration::from_millis(500)).await;
                Ack::Requeue
            }
        }
    }

    /// Tries the job once and records what happened.
    pub async fn deliver(self: &Arc<Self>, job: &DeliveryJob) -> Result<Outcome, String> {
        let consumed = hookd_bus::now_micros();
        let (Ok(delivery_id), Ok(message_id), Ok(endpoint_id)) = (
            Uuid::parse_str(&job.delivery_id),
            Uuid::parse_str(&job.message_id),
            Uuid::parse_str(&job.endpoint_id),
        ) else {
            return Err("malformed ids in job".into());
        };
        let attempt = job.attempt.max(1) as i32;
        if job.url == hookd_domain::EndpointKind::CLI_URL {
            let client = self.pool.get().await.map_err(|e| e.to_string())?;
            hookd_db::cli_relay::park(&client, delivery_id, attempt)
                .await
                .map_err(|e| e.to_string())?;
            tracing::debug!(%delivery_id, %endpoint_id, "cli endpoint: parked for hookctl listen");
            return Ok(Outcome::Parked);
        }
        // Opened before any gate, so a job that cannot be signed fails without taking a slot.
        let signing = match self.signing.get(endpoint_id, job.endpoint_revision).await {
            Ok(signing) => Ok(signing),
            Err(e) if e.fails_the_attempt() => Err(e),
            Err(SigningLookupError::Gone) => {
                tracing::info!(%delivery_id, %endpoint_id, "the endpoint was deleted; dropping its job");
                return Ok(Outcome::Dropped);
            }
            Err(e) => return Err(e.to_string()),
        };
        let (result, transition, started) = match signing {
            Err(e) => {
                // Never an unsigned send: a failed attempt that says why, and no request. It
                // is no fault of the endpoint, so its circuit does not learn from it.
                UnsignedRefused {
                    delivery_id,
                    endpoint_id,
                    error: &e,
                }
                .emit(&self.metrics);
                (not_sent(e.to_string()), Transition::None, consumed)
            }
            Ok(signing) => match self.send(job, endpoint_id, &signing).await {
                Ok(sent) => sent,
                Err(wait) => return self.postpone(delivery_id, attempt, wait).await,
            },
        };

        let answered = hookd_bus::now_micros();
        let schedule = &self.settings.delivery.retry_schedule;
        let gone = result.status == Some(410);
        let (status, next, outcome) = if result.succeeded() {
            (DeliveryStatus::Succeeded, None, Outcome::Succeeded)
        } else {
            let delay = if gone {
                None
            } else {
                next_delay(
                    schedule,
                    attempt as u32,
                    result.retry_after,
                    self.settings.delivery.max_retry_after,
                )
            };
            match delay {
                Some(d) => (
                    DeliveryStatus::Pending,
                    Some(chrono_after(d)),
                    Outcome::RetryScheduled,
                ),
                None => (DeliveryStatus::Failed, None, Outcome::Failed),
            }
        };
        if gone {
            let client = self.pool.get().await.map_err(|e| e.to_string())?;
            if hookd_db::endpoints::disable(&client, endpoint_id, "the endpoint answered 410 Gone")
                .await
                .map_err(|e| e.to_string())?
            {
                self.metrics.endpoints_disabled.inc();
                tracing::info!(%endpoint_id, "endpoint disabled after 410 Gone");
            }
        }
        let status_code = result.status;
        let record = AttemptRecord {
            delivery_id,
            message_id,
            endpoint_id,
            attempt,
            response_status: result.status.map(i32::from),
            response_body: result.body,
            error: result.error,
            duration_ms: result.duration.as_millis().min(i32::MAX as u128) as i32,
            status,
            next_attempt_at: next,
        };
        let recorded = tracing::info_span!("delivery.record", status = ?record.status);
        let recorded = self
            .record(&record, job.ordered)
            .instrument(recorded)
            .await
            .map_err(|e| e.to_string())?;
        let finished = recorded.settled.is_some();
        if let Some(lane) = recorded.settled.and_then(|s| s.lane) {
            // A fifo head settled: its lane's next delivery goes now.
            self.move_lane_on(lane, recorded.next, delivery_id).await;
        }
        AttemptRecorded {
            delivery_id: &job.delivery_id,
            attempt: job.attempt,
            status: status_code,
            outcome,
            stamps: TryStamps {
                accepted: job.accepted_at_micros,
                published: job.published_at_micros,
                consumed,
                started,
                answered,
                recorded: hookd_bus::now_micros(),
            },
        }
        .emit(&self.metrics);
        self.track_health(endpoint_id, transition).await?;
        if finished {
            if let Some(task_id) = job.task_id.as_deref().and_then(|t| Uuid::parse_str(t).ok()) {
                let client = self.pool.get().await.map_err(|e| e.to_string())?;
                hookd_db::tasks::settle(&client, task_id)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(outcome)
    }
}
