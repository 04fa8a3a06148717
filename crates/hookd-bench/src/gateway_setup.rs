//! Creates what a gateway scenario sends to, through the Hookdeck-compatible API
//! (`/2024-03-01`) with the bootstrap key: one source, and one connection per receiver path
//! to a destination with that URL.

use anyhow::{bail, Context, Result};
use hookd_testkit::ApiClient;
use serde_json::json;

/// The gateway API's base path on the ingest address.
pub const GATEWAY_BASE: &str = "/2024-03-01";

/// The path of a source URL (`/e/src_...`), whatever host its `url` names.
pub fn source_path(url: &str) -> Option<String> {
    let at = url.find("/e/")?;
    let path = &url[at..];
    (path.len() > 3).then(|| path.to_owned())
}

/// One source named after the scenario, one connection (and destination) per endpoint URL;
/// returns the source's path (`/e/src_...`), which the load posts to.
pub async fn create(api: &ApiClient, scenario: &str, endpoint_urls: &[String]) -> Result<String> {
    let source = format!("bench-{scenario}");
    let mut path = None;
    for (i, url) in endpoint_urls.iter().enumerate() {
        let r = api
            .post(
                &format!("{GATEWAY_BASE}/connections"),
                &json!({
                    "name": format!("conn-{i}"),
                    "source": {"name": source},
                    "destination": {"name": format!("{source}-dst-{i}"), "url": url},
                }),
            )
            .await;
        if r.status != 200 {
            bail!("creating connection {i}: HTTP {}: {}", r.status, r.text);
        }
        let url = r.body["source"]["url"]
            .as_str()
            .with_context(|| format!("creating connection {i}: no source url in {}", r.text))?;
        path = Some(source_path(url).with_context(|| format!("not a source URL: {url}"))?);
    }
    path.context("a gateway scenario needs at least one endpoint")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_path_of_a_source_url() {
        assert_eq!(
            source_path("http://0.0.0.0:39180/e/src_abc").as_deref(),
            Some("/e/src_abc")
        );
        assert_eq!(
            source_path("https://hooks.example/e/src_x").as_deref(),
            Some("/e/src_x")
        );
        assert_eq!(source_path("http://h/e/"), None);
        assert_eq!(source_path("http://h/x"), None);
    }
}
