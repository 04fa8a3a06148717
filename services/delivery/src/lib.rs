//! The delivery worker: consumes delivery jobs, signs and POSTs them, records each attempt,
//! and schedules retries; its scheduler republishes what is due.

mod attempt;
mod circuit;
mod events;
mod gw_recorder;
mod gw_retry;
mod gw_scheduler;
mod gw_secrets;
mod gw_worker;
mod limiter;
mod metrics;
mod pacer;
mod recorder;
mod retry;
mod scheduler;
mod signing;
mod startup;
mod worker;

pub use retry::next_delay;
pub use startup::DeliveryWorker;
