//! The message bus: protobuf envelopes (with the W3C trace context of their message), the RabbitMQ topology, a publisher that awaits
//! confirms, and a consumer loop with manual acks.

mod acks;
mod build;
mod coalescer;
mod consumer;
mod error;
mod gateway_headers;
mod in_flight;
mod nodes;
mod publisher;
mod tls;
mod topology;
mod trace_context;

pub mod envelopes {
    //! Generated from `proto/hookd/v1/bus.proto`.
    include!(concat!(env!("OUT_DIR"), "/hookd.v1.rs"));
}

pub use acks::AckCounts;
pub use build::{
    credential_headers, delivery_job, gateway_delivery_job, gateway_job, gateway_url,
    message_accepted, now_micros, request_accepted, webhook_body, webhook_body_len,
    GatewayDestination, GatewayRequest, GatewayTry, JobMessage, JobTry,
};
pub use coalescer::{Batchable, Coalescer, CoalescerLimits, OnFailure};
pub use consumer::{consume, Ack, ConsumerConfig};
pub use error::BusError;
pub use gateway_headers::{gateway_headers, sealed_credential_headers, shown_id, GatewaySigning};
pub use in_flight::InFlight;
pub use nodes::node_urls;
pub use publisher::Publisher;
pub use topology::{Route, Topology};
pub use trace_context::{continue_trace, current_traceparent};

use lapin::{Connection, ConnectionProperties};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a connection; each component owns its own so that one failing does not take the others.
/// `urls` is one broker URL or several nodes of a cluster, comma-separated (see `nodes.rs`):
/// the first that answers is used. `amqps://` URLs connect with TLS (see `tls.rs`).
pub async fn connect(urls: &str) -> Result<Connection, BusError> {
    let list = nodes::node_urls(urls)?;
    // The whole try stays within CONNECT_TIMEOUT (callers bound it so), so with several nodes
    // each gets its share: a node that hangs must not use up the others' turn.
    let per_node = CONNECT_TIMEOUT / list.len() as u32;
    let mut last = BusError::Unreachable;
    for index in nodes::attempt_order(list.len()) {
        match connect_one(list[index], per_node).await {
            Ok(conn) => {
                nodes::worked(index);
                return Ok(conn);
            }
            Err(e) => {
                if list.len() > 1 {
                    tracing::warn!(node = %nodes::describe(list[index]), error = %e,
                        "broker node unreachable; trying the next");
                }
                last = e;
            }
        }
    }
    Err(last)
}

async fn connect_one(url: &str, timeout: Duration) -> Result<Connection, BusError> {
    let props = ConnectionProperties::default().with_connection_name("hookd".into());
    let target = tls::target(url)?;
    let runtime = lapin::runtime::default_runtime()?;
    // Bounded: a broker that takes the TCP connection but never answers the handshake would
    // otherwise hold whoever connects (a consumer, a publish, a shutdown) for good.
    match tokio::time::timeout(
        timeout,
        Connection::connect_with_config(&target.url, props, target.tls, runtime),
    )
    .await
    {
        Ok(connected) => Ok(connected?),
        Err(_) => Err(BusError::Timeout),
    }
}
