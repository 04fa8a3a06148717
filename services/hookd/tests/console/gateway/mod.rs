//! The gateway's console pages: forms that call the gateway API's functions, the source URL,
//! requests with their filters, headers and body, connection actions, events read from the
//! engine's tables, and another organization's ids (404, nothing changes).

mod connections;
mod sources;

use crate::support::*;
use hookd_testkit::{ApiClient, ApiResponse};

/// The id at the end of a 303's location (`/console/sources/src_...`).
pub fn created_id(r: &ApiResponse, under: &str) -> String {
    assert_eq!(r.status, 303, "{}", r.text);
    let location = r.headers["location"].to_str().unwrap();
    location
        .strip_prefix(under)
        .unwrap_or_else(|| panic!("{location} is not under {under}"))
        .to_owned()
}

pub async fn source(client: &ApiClient, s: &Session, name: &str) -> String {
    let r = s
        .post(
            client,
            "/console/sources",
            &[("name", name), ("description", "")],
        )
        .await;
    created_id(&r, "/console/sources/")
}
