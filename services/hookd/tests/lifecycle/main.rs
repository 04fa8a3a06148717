//! Data lifecycle (issue 17) on the real PostgreSQL and RabbitMQ: retention of payloads and
//! metadata, expunging one payload, deprovisioning an organization, plan quotas, operational
//! webhooks, recover and replay of an endpoint, and per-version event type schemas.

#[allow(dead_code)] // Each suite uses part of the shared harness.
#[path = "../it/helpers.rs"]
mod helpers;
mod support;

mod deprovision;
mod expunge;
mod operational;
mod operational_scope;
mod operational_support;
mod org_rows;
mod quotas;
mod recovery;
mod retention;
mod schema_versions;
