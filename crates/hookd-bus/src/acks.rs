//! The acks of one channel's deliveries, coalesced. Each ack of a quorum queue's delivery is a
//! Raft command on the broker (a log entry and a state machine step), so one `multiple` ack for
//! a run of finished deliveries costs the broker one command instead of one each.
//!
//! A `multiple` ack settles every outstanding delivery up to its tag, so it may only cover tags
//! whose handlers have finished: it goes up to just below the oldest delivery still in flight.
//! Finished deliveries above that (behind one slow handler: a held job, a hanging endpoint)
//! are acked one by one once they have waited `HOLD`, so a slow handler never holds the
//! others' acks (and the prefetch window they take) for long. Nacks go at once, one by one.

use crate::consumer::Ack;
use lapin::options::{BasicAckOptions, BasicNackOptions};
use lapin::Acker;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long finished deliveries gather before an ack goes out: a few of a busy consumer's
/// handlers finish meanwhile, and an ack sent this much later only delays the broker's
/// bookkeeping, never a message.
const LINGER: Duration = Duration::from_millis(2);
/// How long a finished delivery waits for the ones before it to finish before it is acked on
/// its own.
const HOLD: Duration = Duration::from_millis(10);

/// Counts of what a consumer acked and of the ack frames that carried it.
#[derive(Debug, Default)]
pub struct AckCounts {
    /// Deliveries acked.
    pub acked: AtomicU64,
    /// `basic.ack` frames sent for them.
    pub frames: AtomicU64,
}

enum Report {
    /// A delivery was handed to its handler (sent before the handler starts, so it always
    /// arrives before the delivery's `Finished`).
    Started(u64),
    Finished(Acker, u64, Ack),
}

/// The sending side, one per channel; cheap to clone into each handler's task.
#[derive(Clone)]
pub(crate) struct Acks {
    tx: mpsc::UnboundedSender<Report>,
}

impl Acks {
    /// Starts the channel's ack task; it ends, after a last flush, once every `Acks` is dropped.
    pub(crate) fn start(counts: Arc<AckCounts>) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, tokio::spawn(run(rx, counts)))
    }

    pub(crate) fn started(&self, tag: u64) {
        let _ = self.tx.send(Report::Started(tag));
    }

    pub(crate) fn finished(&self, acker: Acker, tag: u64, outcome: Ack) {
        let _ = self.tx.send(Report::Finished(acker, tag, outcome));
    }
}

#[derive(Default)]
struct State {
    in_flight: BTreeSet<u64>,
    /// Finished with `Ack`, not acked yet: tag → (acker, when it finished).
    done: BTreeMap<u64, (Acker, Instant)>,
}

async fn run(mut rx: mpsc::UnboundedReceiver<Report>, counts: Arc<AckCounts>) {
    let mut state = State::default();
    loop {
        let report = if state.done.is_empty() {
            rx.recv().await
        } else {
            tokio::select! {
                report = rx.recv() => report,
                _ = tokio::time::sleep(LINGER) => {
                    state.flush(&counts, HOLD).await;
                    continue;
                }
            }
        };
        match report {
            Some(report) => state.apply(report).await,
            None => break,
        }
    }
    // The channel's consumer has stopped: ack what finished before the channel closes.
    state.flush(&counts, Duration::ZERO).await;
}

impl State {
    async fn apply(&mut self, report: Report) {
        match report {
            Report::Started(tag) => {
                self.in_flight.insert(tag);
            }
            Report::Finished(acker, tag, outcome) => {
                self.in_flight.remove(&tag);
                let requeue = match outcome {
                    Ack::Ack => {
                        self.done.insert(tag, (acker, Instant::now()));
                        return;
                    }
                    Ack::Requeue => true,
                    Ack::Reject => false,
                };
                let options = BasicNackOptions {
                    requeue,
                    ..Default::default()
                };
                if let Err(e) = acker.nack(options).await {
                    // The broker hands the envelope out again; handlers are idempotent.
                    tracing::debug!(error = %e, "nack failed");
                }
            }
        }
    }

    /// One `multiple` ack for the finished deliveries below the oldest one in flight; single
    /// acks for those above it that have waited `hold`.
    async fn flush(&mut self, counts: &AckCounts, hold: Duration) {
        let floor = self.in_flight.first().copied().unwrap_or(u64::MAX);
        let above = self.done.split_off(&floor);
        let below = std::mem::replace(&mut self.done, above);
        // The newest of them is outstanding, and every outstanding tag below it has finished:
        // the ack settles exactly these.
        if let Some((_, (acker, _))) = below.last_key_value() {
            send(acker, below.len() > 1, below.len(), counts).await;
        }
        let now = Instant::now();
        let waited: Vec<u64> = self
            .done
            .iter()
            .filter(|(_, (_, at))| now.duration_since(*at) >= hold)
            .map(|(tag, _)| *tag)
            .collect();
        for tag in waited {
            if let Some((acker, _)) = self.done.remove(&tag) {
                send(&acker, false, 1, counts).await;
            }
        }
    }
}

async fn send(acker: &Acker, multiple: bool, settles: usize, counts: &AckCounts) {
    match acker.ack(BasicAckOptions { multiple }).await {
        Ok(_) => {
            counts.acked.fetch_add(settles as u64, Ordering::Relaxed);
            counts.frames.fetch_add(1, Ordering::Relaxed);
        }
        // The broker hands the envelopes out again; handlers are idempotent.
        Err(e) => tracing::debug!(error = %e, "ack failed"),
    }
}
