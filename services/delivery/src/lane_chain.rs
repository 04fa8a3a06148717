//! Moving a fifo lane on from the worker that settled its head (issue 18): the next delivery,
//! promoted in the transaction that recorded the head's final attempt (`recorder`), is run
//! here, in a task of this process, instead of being published and consumed back. A lane's
//! rate is one round trip per message, and the broker's hop (a persistent publish, its
//! confirm, the consume and the stale-copy check) was a large part of it. Nothing is lost by
//! skipping the broker: the promotion leased the delivery, so should this process die before
//! the attempt is recorded, the scheduler republishes it when the lease runs out, as for any
//! job whose publish was lost. A worker that is stopping publishes the job instead, so a
//! restart does not hold the lane for a lease.

use crate::worker::Worker;
use hookd_bus::envelopes::DeliveryJob;
use hookd_db::deliveries::Due;
use hookd_db::lanes::Lane;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tracing::Instrument;
use uuid::Uuid;

impl Worker {
    /// Runs, in a task of its own, the next delivery of the lane whose head `settled` this
    /// worker just recorded as final: `next`, promoted in the record's own transaction, or when
    /// that found none ready, whatever a promotion finds now. That second look is needed: a
    /// delivery routed while the record committed saw the head still in flight, so the router
    /// left the lane to this settler (`lanes::idle`). Should it fail (or the process die
    /// here), the router's lane sweep moves the lane on.
    pub(crate) async fn move_lane_on(
        self: &Arc<Self>,
        lane: Lane,
        next: Option<Due>,
        settled: Uuid,
    ) {
        let lease = self.settings.delivery.lease;
        let due = match next {
            // Its endpoint may have been disabled meanwhile.
            Some(next) => hookd_service::past_disabled(&self.pool, vec![next], lease).await,
            None => hookd_service::promote_lanes(&self.pool, vec![lane], lease).await,
        };
        let due = match due {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(delivery_id = %settled, error = %e, "could not move the fifo lane on; the sweep will");
                return;
            }
        };
        if self.stopping.is_cancelled() {
            // Stopping: the queue holds the job for whichever worker runs next.
            hookd_service::publish_due(&self.publisher, None, &due).await;
            return;
        }
        for d in due {
            let (job, span) = hookd_service::job_of(&d);
            let worker = self.clone();
            let span = tracing::info_span!(parent: &span, "delivery.promoted",
                delivery_id = %job.delivery_id, message_id = %job.message_id, attempt = job.attempt);
            tokio::spawn(run_promoted(worker, job).instrument(span));
        }
    }
}
/// Runs a freshly promoted job: it was never published, so it cannot be a stale copy and
/// skips that check. An attempt that cannot be recorded is left to the lease. Boxed with its
/// type spelled out: the job's settle may start the next one, so the future is recursive.
fn run_promoted(worker: Arc<Worker>, job: DeliveryJob) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        if let Err(e) = worker.deliver(&job).await {
            tracing::warn!(delivery_id = %job.delivery_id, error = %e, "promoted fifo job not recorded; its lease resends it");
        }
    })
}
