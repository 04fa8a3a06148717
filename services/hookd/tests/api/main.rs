//! The management API of API.md, end to end against the real PostgreSQL and RabbitMQ: every
//! resource, every error class, tenant isolation, pagination, secret reads and rotation, and OpenAPI.

#[allow(dead_code)] // Each suite uses part of the shared harness.
#[path = "../it/helpers.rs"]
mod helpers;
mod support;

mod conflicts;
mod deliveries;
mod errors;
mod failures;
mod idempotency;
mod keys_and_orgs;
mod messages;
mod openapi;
mod pagination;
mod resources;
mod rotation;
mod secret;
mod tenancy;
mod validation;
