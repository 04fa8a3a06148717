//! Delivery semantics (issue 4): fan-out, idempotency, retries, attempts, replay, isolation,
//! scale-out and crash safety, against the real PostgreSQL and RabbitMQ.

#[path = "../it/children.rs"]
mod children;
#[path = "../it/connection_state.rs"]
mod connection_state;
#[path = "../it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod batched;
mod crash;
mod fanout;
mod fanout_budget;
mod faults;
mod fifo;
mod fifo_busy;
mod fifo_crash;
mod fifo_late;
mod fifo_settle;
mod filters;
mod hold;
mod ingest_kill;
mod kept_plans;
mod outbox;
mod parent_keys;
mod record_outage;
mod redelivery;
mod retries;
mod scale;
mod schedule;
mod transport;
