//! Scheduled tasks (HostedHooks' Tasks API), end to end against the real PostgreSQL and
//! RabbitMQ: the routes and their errors, a task's life from scheduled to completed or
//! failed, cancellation and its race with the run, and exactly-once starts with several
//! schedulers racing, a scheduler killed mid-batch, and a publish lost after the commit.

#[allow(dead_code)] // Each suite uses part of the shared harness.
#[path = "../it/helpers.rs"]
mod helpers;

mod api;
mod lifecycle;
mod schedulers;
mod support;
