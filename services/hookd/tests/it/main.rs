//! Integration tests against the real PostgreSQL and RabbitMQ.

#[allow(dead_code)] // Each suite uses part of the harness.
mod helpers;
mod metrics;
mod walking_skeleton;
