//! The operator's side (issue 14): safe defaults of the binary.

#[path = "../it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod profile;
