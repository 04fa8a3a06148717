//! The operator's commands of the `hookd` binary that are more than starting a service.

pub mod reseal;
