//! The ingest service: hookd's whole HTTP API. It validates, authenticates, stores, and
//! publishes a bus envelope for each accepted message (batched with concurrent ones: `publish.rs`).

mod auth;
mod batcher;
mod body;
mod caches;
mod console;
mod error;
mod events;
mod gateway;
mod health;
mod idempotency;
mod list;
mod metrics;
pub mod openapi;
mod publish;
mod quotas;
mod ratelimit;
mod relay;
mod relay_endpoint;
mod request_id;
mod routes;
mod schemas;
mod startup;
mod state;

pub use auth::{generate_api_key, hash_api_key};
pub use error::ApiError;
pub use startup::Application;
