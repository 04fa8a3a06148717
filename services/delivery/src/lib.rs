//! The delivery worker: consumes delivery jobs, signs and POSTs them, records each attempt,
//! and schedules retries; its scheduler republishes what is due.

mod attempt;
mod circuit;
mod events;
mod gw_recorder;
mod gw_scheduler;
mod gw_secrets;
mod gw_worker;
mod lane_chain;
mod limiter;
mod metrics;
mod outage;
mod pacer;
mod postponer;
mod recorder;
mod scheduler;
mod signing;
mod startup;
mod worker;

// The retry schedule's arithmetic lives in the domain crate: the CLI relay of ingest uses it too.
pub use hookd_domain::next_delay;
pub use startup::DeliveryWorker;
