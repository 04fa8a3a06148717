//! The outbound HTTP client that delivers webhooks: hyper + rustls, one pooled client with
//! keep-alive per destination, a per-request timeout, no redirects, a capped response body,
//! a guard against server-side request forgery, and the web PKI roots plus an optional extra CA.

mod client;
mod guard;
mod trust;

pub use client::{OutboundClient, OutboundRequest, OutboundResponse, SendError, TlsCause};
pub use guard::{AddressPolicy, BlockedAddress};
pub use trust::TrustError;
