//! Gateway attempt records in batches: concurrent tries share one transaction, each event's
//! next automatic try decided under its row lock (`hookd_db::gateway::retry`: the connection's
//! retry rule, else the engine's schedule).

use futures_util::future::BoxFuture;
use hookd_db::gateway::dispatch::{Recorded, TryRecord};
use hookd_db::gateway::retry;
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
        Box::pin(retry::record(client, tries, &self.schedule))
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
