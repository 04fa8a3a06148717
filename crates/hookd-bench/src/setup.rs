//! Creates what a scenario sends to, through the public API with the bootstrap key: one app,
//! one event type, and one subscription with one endpoint per receiver path.

use anyhow::{bail, Context, Result};
use hookd_testkit::{ApiClient, ApiResponse};
use serde_json::json;

/// The event type every scenario sends.
pub const EVENT_TYPE: &str = "bench.event";

/// What was created.
#[derive(Debug, Clone)]
pub struct Setup {
    pub app_id: String,
    pub endpoint_ids: Vec<String>,
}

impl Setup {
    /// The path that sends a message to the app.
    pub fn messages_path(&self) -> String {
        format!("/api/v1/apps/{}/messages", self.app_id)
    }
}

fn id_of(r: &ApiResponse, what: &str) -> Result<String> {
    if !(200..300).contains(&r.status) {
        bail!("creating {what}: HTTP {}: {}", r.status, r.text);
    }
    r.body["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("creating {what}: no id in {}", r.text))
}

/// Which endpoints are ordered, and by what.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fifo<'a> {
    /// Indexes of the endpoints created with `"ordering": "fifo"`.
    pub endpoints: &'a [usize],
    /// Their `ordering_key` (a path into `data`); `None`: one lane per endpoint.
    pub key: Option<&'a str>,
}

/// One subscription per endpoint URL, as separate subscribers would have; every endpoint with
/// `filter` when one is given, and those of `fifo` ordered.
pub async fn create(
    api: &ApiClient,
    scenario: &str,
    endpoint_urls: &[String],
    filter: Option<&serde_json::Value>,
    fifo: Fifo<'_>,
) -> Result<Setup> {
    let app = api
        .post(
            "/api/v1/apps",
            &json!({ "name": format!("bench {scenario}") }),
        )
        .await;
    let app_id = id_of(&app, "the app")?;
    let et = api
        .post(
            &format!("/api/v1/apps/{app_id}/event_types"),
            &json!({ "name": EVENT_TYPE }),
        )
        .await;
    if !(200..300).contains(&et.status) {
        bail!("creating the event type: HTTP {}: {}", et.status, et.text);
    }
    let mut endpoint_ids = Vec::with_capacity(endpoint_urls.len());
    for (i, url) in endpoint_urls.iter().enumerate() {
        let sub = api
            .post(
                &format!("/api/v1/apps/{app_id}/subscriptions"),
                &json!({ "name": format!("subscriber {i}") }),
            )
            .await;
        let sub_id = id_of(&sub, "a subscription")?;
        let ordered = fifo.endpoints.contains(&i);
        let mut body = json!({ "url": url, "version": "1.0", "event_types": [EVENT_TYPE],
                               "filter": filter,
                               "ordering": if ordered { "fifo" } else { "none" } });
        if let (true, Some(key)) = (ordered, fifo.key) {
            body["ordering_key"] = json!(key);
        }
        let ep = api
            .post(&format!("/api/v1/subscriptions/{sub_id}/endpoints"), &body)
            .await;
        endpoint_ids.push(id_of(&ep, "an endpoint")?);
    }
    Ok(Setup {
        app_id,
        endpoint_ids,
    })
}
