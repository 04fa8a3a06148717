//! The outbound HTTP client that delivers webhooks: hyper + rustls, one pooled client with
//! keep-alive per destination, a per-request timeout, no redirects, a capped response body,
//! and a guard against server-side request forgery.

mod client;
mod guard;

pub use client::{OutboundClient, OutboundRequest, OutboundResponse, SendError};
pub use guard::{AddressPolicy, BlockedAddress};
