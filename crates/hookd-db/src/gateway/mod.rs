//! Queries of the event gateway (GATEWAY.md): one module per resource. Records carry secrets
//! sealed (as stored); the API layer opens them.

pub mod attempts_view;
pub mod bulk_retries;
pub mod cli_relay;
pub mod connections;
pub mod destinations;
pub mod dispatch;
pub mod event_log;
pub mod events_view;
pub mod ignored_view;
pub mod requests;
pub mod retention;
pub mod retry;
pub mod route_record;
pub mod routing;
mod routing_rows;
pub mod signing;
pub mod sources;
mod table;
pub mod try_record;
