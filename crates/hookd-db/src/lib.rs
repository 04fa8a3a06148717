//! PostgreSQL access: the pool, migrations, and one module of queries per resource.

mod attempt_record;
mod batch;
mod error;
mod fan_out;
mod list;
mod listen;
mod migrate;
mod pool;
mod tls;

pub mod api_keys;
pub mod apps;
pub mod attempts;
pub mod cli_relay;
pub mod console_sessions;
pub mod deliveries;
pub mod deprovision;
pub mod endpoints;
pub mod event_types;
pub mod export;
pub mod gateway;
pub mod idempotency;
pub mod import;
pub mod kept_plan;
pub mod lanes;
pub mod message_log;
pub mod messages;
pub mod operational;
pub mod organizations;
pub mod portal;
pub mod quotas;
pub mod replay;
pub mod retention;
pub mod routing;
pub mod sealed;
pub mod stats;
pub mod subscriptions;
pub mod tasks;
pub mod tombstones;

pub use batch::{all_failed, BatchWrite, Batcher};
pub use deadpool_postgres::{Client, GenericClient, Pool, Transaction};
pub use error::DbError;
pub use list::{Cursor, Dir, Filter, FilterValue, Listed, Op, Page};
pub use listen::{listen, listen_with};
pub use migrate::migrate;
pub use pool::{
    connect, connect_relaxed, create_database_if_missing, drop_database, ensure_database,
    process_name,
};
pub use tokio_postgres;

/// Boxes query parameters for the list builder.
#[macro_export]
macro_rules! params {
    ($($p:expr),* $(,)?) => {
        vec![$(Box::new($p) as Box<dyn $crate::tokio_postgres::types::ToSql + Sync + Send>),*]
    };
}
