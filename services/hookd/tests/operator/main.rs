//! The operator's side (issue 14): safe defaults of the binary, encryption keys with ids and
//! `hookd reseal`, TLS to PostgreSQL and RabbitMQ, the nodes of a RabbitMQ cluster.

#[path = "../it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod binary;
mod errors;
mod failover;
mod profile;
mod reseal;
mod tls;
