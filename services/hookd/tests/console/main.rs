//! The console and portal of CONSOLE.md over HTTP against the real PostgreSQL and RabbitMQ:
//! sessions, expiry, CSRF, the API additions, portal scope and read-only mode. (The pages
//! themselves are driven in a real browser by tests/e2e.)

#[allow(dead_code)] // Each suite uses part of the shared harness.
#[path = "../it/helpers.rs"]
mod helpers;
mod support;

mod additions;
mod endpoint_filter;
mod endpoint_ordering;
mod gateway;
mod portal;
mod portal_links;
mod sessions;
