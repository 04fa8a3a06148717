//! What hookd's services share in running, written once: the readiness of their dependencies
//! (PostgreSQL and RabbitMQ) and periodic background passes that stop on shutdown.

mod budget;
mod gateway_jobs;
mod jobs;
mod periodic;
mod readiness;

pub use budget::{Held, JobBudget, JOB_OVERHEAD_BYTES, MAX_SLICE};
pub use gateway_jobs::gateway_job_of;
pub use jobs::{
    advance_idle_lanes, advance_lanes, job_of, lease_until, past_disabled, promote_lanes,
    publish_due, publish_jobs,
};
pub use periodic::run as periodic;
pub use readiness::{dependencies_ready, readiness, Unready};
