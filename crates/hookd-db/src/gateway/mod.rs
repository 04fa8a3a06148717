//! Queries of the event gateway (GATEWAY.md): one module per resource. Records carry secrets
//! sealed (as stored); the API layer opens them.

pub mod connections;
pub mod destinations;
pub mod dispatch;
pub mod requests;
pub mod routing;
pub mod signing;
pub mod sources;
