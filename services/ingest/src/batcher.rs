//! The insert batchers of ingest: concurrent message sends, and concurrent requests at source
//! URLs, each share one statement and one commit. A caller is answered once its row is
//! committed (ingest commits synchronously), so its 202 or 200 still means durable.

use futures_util::future::BoxFuture;
use hookd_db::gateway::requests::NewRequest;
use hookd_db::messages::NewMessage;
use hookd_db::{BatchWrite, Batcher, Client, DbError, Pool};
use hookd_domain::Message;
use std::sync::Arc;

pub type InsertBatcher = Batcher<NewMessage, (Message, bool)>;
pub type RequestBatcher = Batcher<NewRequest, ()>;

const MAX_BATCH: usize = 256;
const FLUSHES: usize = 4;

struct MessageInserts;

impl BatchWrite<NewMessage, (Message, bool)> for MessageInserts {
    fn write<'a>(
        &'a self,
        client: &'a mut Client,
        items: &'a [NewMessage],
    ) -> BoxFuture<'a, Result<Vec<(Message, bool)>, DbError>> {
        Box::pin(hookd_db::messages::insert_many(&*client, items))
    }
}

struct RequestInserts;

impl BatchWrite<NewRequest, ()> for RequestInserts {
    fn write<'a>(
        &'a self,
        client: &'a mut Client,
        items: &'a [NewRequest],
    ) -> BoxFuture<'a, Result<Vec<()>, DbError>> {
        Box::pin(hookd_db::gateway::requests::insert_many(&*client, items))
    }
}

/// Message inserts.
pub fn start(pool: Pool) -> InsertBatcher {
    Batcher::on_pool(pool, MAX_BATCH, FLUSHES, Arc::new(MessageInserts))
}

/// Inbound requests (accepted and rejected alike), each with its raw body.
pub fn requests(pool: Pool) -> RequestBatcher {
    Batcher::on_pool(pool, MAX_BATCH, FLUSHES, Arc::new(RequestInserts))
}
