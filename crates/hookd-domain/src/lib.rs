//! The records of hookd, as the API shows them and the services pass them around.

mod ids;
mod ordering;
mod reason;
mod records;
mod route;
mod status;

pub use ids::new_id;
pub use ordering::{Fifo, LaneKey, SHARED_LANE};
pub use reason::reason;
pub use records::*;
pub use route::EndpointRoute;
pub use status::*;

/// The version a message has when the sender names none.
pub const DEFAULT_VERSION: &str = "1.0";
