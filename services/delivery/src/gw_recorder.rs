//! Gateway attempt records in batches: concurrent tries share one transaction, each event's
//! next automatic try decided under its row lock (the connection's retry rule, else the
//! engine's schedule).

use futures_util::future::BoxFuture;
use hookd_db::gateway::dispatch::{self, Recorded, TryRecord};
use hookd_db::{BatchWrite, Batcher, Client, DbError, Pool};
use std::sync::Arc;
use std::time::Duration;

/// Answers, per try, the event after it (`None`: the event is gone).
pub type GatewayRecorder = Batcher<TryRecord, Option<Recorded>>;

const MAX_BATCH: usize = 256;
const FLUSHES: usize = 2;

struct GatewayAttempts {
    schedule: Vec<Duration>,
}

impl BatchWrite<TryRecord, Option<Recorded>> for GatewayAttempts {
    fn write<'a>(
        &'a self,
        client: &'a mut Client,
        tries: &'a [TryRecord],
    ) -> BoxFuture<'a, Result<Vec<Option<Recorded>>, DbError>> {
        Box::pin(dispatch::record_tries(client, tries, |t, state| {
            let status = t.response_status.and_then(|s| u16::try_from(s).ok());
            crate::gw_retry::next_try(state, status, &self.schedule)
                .map(|d| chrono::Utc::now() + chrono::Duration::from_std(d).unwrap_or_default())
        }))
    }
}

/// `schedule`: the engine's retry schedule, for connections without a retry rule.
pub fn start(pool: Pool, schedule: Vec<Duration>) -> GatewayRecorder {
    Batcher::on_pool(
        pool,
        MAX_BATCH,
        FLUSHES,
        Arc::new(GatewayAttempts { schedule }),
    )
}
