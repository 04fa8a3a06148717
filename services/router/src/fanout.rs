use crate::events::{JobPublishFailed, MessageRouted, RouteFailed, RouterStamps};
use crate::metrics::RouterMetrics;
use crate::view::RoutingView;
use hookd_bus::envelopes::MessageAccepted;
use hookd_bus::{Ack, InFlight, Publisher};
use hookd_db::deliveries::{FanOut, FannedOut};
use hookd_db::{Batcher, DbError, Pool};
use hookd_service::JobBudget;
use prost::Message as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;
use uuid::Uuid;

/// What routing one message did.
#[derive(Debug, PartialEq, Eq)]
pub struct Routed {
    /// Deliveries created now (zero when the message had been routed before).
    pub created: usize,
    pub matched: usize,
}

fn parse_uuid(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s).ok()
}

/// What routing a message uses, shared by the consumer's handlers.
#[derive(Clone)]
pub struct FanOutContext {
    pub pool: Pool,
    pub batcher: FanOutBatcher,
    pub publisher: Arc<Publisher>,
    pub view: RoutingView,
    pub metrics: RouterMetrics,
    /// The lease of each delivery recorded.
    pub lease: Duration,
    /// Bounds the jobs held across the router's consumers; a fan-out publishes in its slices.
    pub budget: JobBudget,
    /// Bounds the messages routed at once (`amqp.prefetch`), however ingest batched them.
    pub in_flight: InFlight,
}

/// Records fan-outs of concurrent messages in one statement.
pub type FanOutBatcher = Batcher<FanOut, FannedOut>;

const MAX_BATCH: usize = 128;
const FLUSHES: usize = 4;

/// Starts the fan-out batcher; every delivery it records is leased for `lease`.
pub fn start_batcher(pool: Pool, lease: Duration) -> FanOutBatcher {
    Batcher::start(MAX_BATCH, FLUSHES, move |batch: Vec<FanOut>| {
        let pool = pool.clone();
        async move {
            let lease_until =
                chrono::Utc::now() + chrono::Duration::from_std(lease).unwrap_or_default();
            let result = async {
                let client = pool.get().await?;
                hookd_db::deliveries::fan_out_many(&client, &batch, lease_until).await
            }
            .await;
            match result {
                Ok(created) => created.into_iter().map(Ok).collect(),
                Err(e) if e.is_unavailable() => hookd_db::all_failed(batch.len(), &e),
                // A row raced a deletion: fan out one by one, so one cannot fail the others.
                Err(_) => {
                    let mut answers = Vec::with_capacity(batch.len());
                    for f in &batch {
                        answers.push(
                            match pool.get().await {
                                Ok(client) => hookd_db::deliveries::fan_out_many(
                                    &client,
                                    std::slice::from_ref(f),
                                    lease_until,
                                )
                                .await
                                .map(|mut created| created.pop().unwrap_or_default()),
                                Err(e) => Err(e.into()),
                            }
                            // Its message or endpoints are gone: nothing to deliver.
                            .or_else(|e| match e {
                                DbError::NotFound => Ok(FannedOut::default()),
                                e => Err(e),
                            }),
                        );
                    }
                    answers
                }
            }
        }
    })
}

/// Fans one `MessageAccepted` out: records a delivery per matching endpoint and publishes a
/// job for each, in slices within the router's job budget. The deliveries are leased before
/// their jobs are published, so a job lost after the commit is sent again by the retry
/// scheduler when the lease runs out; the envelope is acked only after every slice's publish. A fifo
/// endpoint's delivery waits in its lane instead, and goes when the lane is promoted: now
/// when the lane is idle, else when its head settles (or the lane sweep finds it idle).
#[tracing::instrument(name = "router.fanout", skip_all, fields(message_id = %envelope.message_id,
    matched = tracing::field::Empty, created = tracing::field::Empty))]
pub async fn route_message(
    ctx: &FanOutContext,
    envelope: &MessageAccepted,
) -> Result<Routed, DbError> {
    let FanOutContext {
        pool,
        batcher,
        publisher,
        view,
        metrics,
        lease,
        budget,
        in_flight: _,
    } = ctx;
    let consumed = hookd_bus::now_micros();
    let (Some(message_id), Some(app_id)) = (
        parse_uuid(&envelope.message_id),
        parse_uuid(&envelope.app_id),
    ) else {
        return Ok(Routed {
            created: 0,
            matched: 0,
        });
    };
    let snapshot = view.snapshot();
    let mut filtered_out = 0;
    let targets = match envelope.endpoint_id.as_deref().and_then(parse_uuid) {
        Some(id) => snapshot
            .endpoint(id)
            .filter(|r| r.enabled && r.app_id == app_id && r.version == envelope.version)
            .into_iter()
            .collect(),
        // A send to one endpoint names it; a fan-out passes each endpoint's filter.
        None => {
            let matching = snapshot.matching(app_id, &envelope.event_type, &envelope.version);
            let (kept, left_out) = crate::payload_filter::passing(matching, envelope);
            filtered_out = left_out;
            kept
        }
    };
    let ids: Vec<Uuid> = targets.iter().map(|r| r.id).collect();
    let created = batcher
        .submit(FanOut {
            message_id,
            app_id,
            event_type: envelope.event_type.clone(),
            endpoint_ids: ids.clone(),
            traceparent: hookd_bus::current_traceparent(),
            lanes: crate::lanes::lanes_for(&targets, envelope),
        })
        .await?;
    if let Some(task_id) = envelope.task_id.as_deref().and_then(parse_uuid) {
        let client = pool.get().await?;
        hookd_db::tasks::mark_routed(&client, task_id, ids.first().copied()).await?;
    }
    let recorded = hookd_bus::now_micros();
    let span = tracing::Span::current();
    span.record("matched", ids.len());
    span.record("created", created.len());
    let by_id: HashMap<Uuid, _> = targets.iter().map(|r| (r.id, r)).collect();
    let message = hookd_bus::JobMessage {
        id: message_id,
        payload: &envelope.payload,
        accepted_at_micros: envelope.accepted_at_micros,
        task_id: envelope.task_id.as_deref().and_then(parse_uuid),
    };
    // Each job is charged its payload and URL; the slices' confirms are awaited in turn.
    let publishing = tracing::info_span!("router.publish", jobs = created.len());
    let slices = hookd_service::publish_jobs(
        publisher,
        Some(budget),
        &created.jobs,
        |(_, endpoint_id)| {
            let url = by_id.get(endpoint_id).map_or(0, |r| r.url.len());
            JobBudget::job_cost(envelope.payload.len() + url)
        },
        |(delivery_id, endpoint_id)| {
            let first = hookd_bus::JobTry {
                delivery_id: *delivery_id,
                attempt: 1,
                explicit: false,
                ordered: false,
            };
            let job = hookd_bus::delivery_job(first, &message, by_id.get(endpoint_id)?);
            Some((job.encode_to_vec(), tracing::Span::current()))
        },
        |result| match result {
            Ok(()) => metrics.jobs_published.inc(),
            Err(error) => JobPublishFailed { error: &error }.emit(metrics),
        },
    )
    .instrument(publishing)
    .await;
    if !created.lanes.is_empty() {
        // The deliveries are stored: a failure here leaves them to the lane sweep. A lane
        // whose head is in flight is left to that head's settler.
        let lanes = created.lanes.clone();
        match hookd_service::advance_idle_lanes(pool, publisher, Some(budget), lanes, *lease).await
        {
            Ok(published) => metrics.jobs_published.inc_by(published as u64),
            Err(e) => {
                tracing::warn!(error = %e, "could not promote the fifo lanes; the lane sweep will")
            }
        }
    }
    MessageRouted {
        message_id: &envelope.message_id,
        matched: ids.len(),
        created: created.len(),
        filtered_out,
        slices,
        stamps: RouterStamps {
            accepted: envelope.accepted_at_micros,
            consumed,
            recorded,
            published: hookd_bus::now_micros(),
        },
    }
    .emit(metrics);
    Ok(Routed {
        created: created.len(),
        matched: ids.len(),
    })
}

/// The consumer's decision for one broker message: its envelope and those batched with it,
/// each routed in a span that continues its own message's trace, concurrently (their fan-outs
/// share statements).
pub async fn handle(ctx: &FanOutContext, bytes: &[u8]) -> Ack {
    let Ok(envelope) = MessageAccepted::decode(bytes) else {
        tracing::error!("undecodable MessageAccepted envelope; dead-lettering it");
        return Ack::Reject;
    };
    let route = |envelope: MessageAccepted| async move {
        let span = tracing::info_span!("router.consume", message_id = %envelope.message_id,
            app_id = %envelope.app_id, event_type = %envelope.event_type);
        let span = hookd_bus::continue_trace(span, envelope.traceparent.as_deref());
        route_envelope(ctx, &envelope).instrument(span).await
    };
    ctx.in_flight.route(envelope, route).await
}

async fn route_envelope(ctx: &FanOutContext, envelope: &MessageAccepted) -> Ack {
    match route_message(ctx, envelope).await {
        Ok(_) => Ack::Ack,
        Err(error) => {
            RouteFailed {
                message_id: &envelope.message_id,
                error: &error,
            }
            .emit(&ctx.metrics);
            // Do not spin on a dead database.
            tokio::time::sleep(Duration::from_millis(500)).await;
            Ack::Requeue
        }
    }
}
