//! Integration tests against the real PostgreSQL and RabbitMQ.

#[allow(dead_code)] // Each suite uses part of the harness.
mod helpers;
mod metrics;
mod readiness;
mod routing_view;
mod walking_skeleton;
