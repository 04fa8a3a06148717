//! Data lifecycle (issue 17) on the real PostgreSQL and RabbitMQ: retention of payloads and
//! metadata (messages and the gateway's requests), expunging one payload, deprovisioning an
//! organization, plan quotas, export and import of an app, operational webhooks, recover and
//! replay of an endpoint, and per-version event type schemas and examples.

#[allow(dead_code)] // Only the export memory test runs a service as a child.
#[path = "../it/children.rs"]
mod children;
#[allow(dead_code)] // Each suite uses part of the shared harness.
#[path = "../it/helpers.rs"]
mod helpers;
mod support;

mod deprovision;
mod event_type_examples;
mod export;
mod export_memory;
mod expunge;
mod gw_retention;
mod operational;
mod operational_scope;
mod operational_support;
mod operational_transitions;
mod org_rows;
mod quotas;
mod recovery;
mod retention;
mod schema_versions;
