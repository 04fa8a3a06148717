//! Data lifecycle (issue 17) on the real PostgreSQL and RabbitMQ: retention of payloads and
//! metadata, expunging one payload, deprovisioning an organization, plan quotas, and
//! operational webhooks.

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
mod retention;
