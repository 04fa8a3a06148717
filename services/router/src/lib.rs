//! The router: turns each accepted message into one delivery per subscribed endpoint, from an
//! in-memory view of the endpoints, republishes messages whose bus notification was lost, and
//! starts scheduled tasks when they are due; beside them, the retention and deprovision passes.

pub mod deprovision;
mod events;
mod fanout;
pub mod gateway;
mod gateway_decide;
mod gateway_route;
pub mod gateway_view;
mod lanes;
mod metrics;
mod operational;
mod payload_filter;
mod relay;
pub mod retention;
mod startup;
pub mod tasks;
pub mod view;

pub use fanout::{route_message, start_batcher, FanOutBatcher, FanOutContext, Routed};
pub use startup::Router;
pub use view::RoutingView;
