//! The records of hookd, as the API shows them and the services pass them around.

mod ids;
mod operational;
mod ordering;
mod reason;
mod records;
mod retry;
mod route;
mod status;

pub use ids::new_id;
pub use operational::*;
pub use ordering::{Fifo, LaneKey, SHARED_LANE};
pub use reason::reason;
pub use records::*;
pub use retry::next_delay;
pub use route::EndpointRoute;
pub use status::*;

/// The version a message has when the sender names none.
pub const DEFAULT_VERSION: &str = "1.0";
