//! The event gateway (GATEWAY.md) end to end against the real PostgreSQL and RabbitMQ: the
//! management API of `/2024-03-01`, its errors and lists, and tenant isolation.

#[allow(dead_code)] // The gateway suite spawns router and delivery only.
#[path = "../it/children.rs"]
mod children;
#[path = "../it/connection_state.rs"]
mod connection_state;
#[allow(dead_code)] // Each suite uses part of the shared harness.
#[path = "../it/helpers.rs"]
mod helpers;
mod support;

mod batching;
mod bulk;
mod connections;
mod destinations;
mod engine;
mod engine_crash;
mod engine_rules;
mod engine_support;
mod events;
mod https;
mod inbound;
mod lists;
mod parent_keys;
mod pipelines;
mod ratelimit;
mod request_outbox;
mod seed;
mod sources;
mod tenancy;
