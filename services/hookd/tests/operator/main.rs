//! The operator's side (issue 14): safe defaults of the binary, encryption keys with ids and
//! `hookd reseal`, TLS to PostgreSQL and RabbitMQ.

#[path = "../it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod binary;
mod errors;
mod profile;
mod reseal;
mod tls;
