//! Sources made in the console, their URL, the requests sent to them and the list's filters.

use super::source;
use crate::helpers::*;
use crate::support::*;

#[tokio::test]
async fn a_source_made_in_the_console_shows_its_url_and_its_requests() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let s = login(&client, ADMIN_KEY).await;
    let empty = s.get(&client, "/console/sources").await;
    assert!(empty.text.contains("No sources yet"), "{}", empty.text);

    let id = source(&client, &s, "shop").await;
    assert!(id.starts_with("src_"), "{id}");
    let page = s.get(&client, &format!("/console/sources/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let url = format!("{}/e/{id}", stack.base);
    assert!(
        page.text.contains(&format!("value=\"{url}\"")),
        "{}",
        page.text
    );
    let listed = s.get(&client, "/console/sources").await;
    assert!(listed.text.contains(&url) && listed.text.contains(">shop<"));

    // A provider posts to the URL; the request is listed and shows its header and body.
    let sent = client
        .raw(
            "POST",
            &format!("/e/{id}/orders?x=1"),
            Some(r#"{"order":"A-17"}"#.into()),
            &[("content-type", "application/json"), ("x-shop", "tea")],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let request_id = sent.body["request_id"].as_str().unwrap().to_owned();
    let requests = s.get(&client, "/console/requests").await;
    assert!(requests.text.contains(&request_id), "{}", requests.text);
    let detail = s
        .get(&client, &format!("/console/requests/{request_id}"))
        .await;
    assert_eq!(detail.status, 200);
    for needle in ["x-shop", "tea", "A-17", "/orders", "accepted", "No events"] {
        assert!(detail.text.contains(needle), "{needle}: {}", detail.text);
    }

    // Disabled in the console: the URL rejects, and the filters tell the two apart.
    let r = s
        .post(&client, &format!("/console/sources/{id}/disable"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let rejected = client
        .raw("POST", &format!("/e/{id}"), Some("{}".into()), &[])
        .await;
    assert_eq!(rejected.status, 403, "{}", rejected.text);
    let rejected_id = rejected.body["data"]["request_id"].as_str().unwrap();
    let only_rejected = s.get(&client, "/console/requests?status=rejected").await;
    assert!(only_rejected.text.contains(rejected_id));
    assert!(!only_rejected.text.contains(&request_id));
    assert!(only_rejected.text.contains("SOURCE_DISABLED"));
    let by_cause = s
        .get(&client, "/console/requests?cause=SOURCE_DISABLED")
        .await;
    assert!(by_cause.text.contains(rejected_id) && !by_cause.text.contains(&request_id));
    let only_accepted = s.get(&client, "/console/requests?status=accepted").await;
    assert!(only_accepted.text.contains(&request_id));
    assert!(!only_accepted.text.contains(rejected_id));
    let of_source = s
        .get(&client, &format!("/console/requests?source={id}"))
        .await;
    assert!(of_source.text.contains(rejected_id) && of_source.text.contains(&request_id));
    let other = source(&client, &s, "other").await;
    let of_other = s
        .get(&client, &format!("/console/requests?source={other}"))
        .await;
    assert!(
        of_other.text.contains("No requests match"),
        "{}",
        of_other.text
    );
    let bad = s.get(&client, "/console/requests?status=maybe").await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("role=\"alert\""));

    // The same source through the JSON API: disabled, then enabled and deleted here.
    let api = stack
        .api
        .get(&format!("/2024-03-01/sources/{id}?disabled=true"))
        .await;
    assert!(api.body["disabled_at"].is_string(), "{}", api.text);
    s.post(&client, &format!("/console/sources/{id}/enable"), &[])
        .await;
    let api = stack.api.get(&format!("/2024-03-01/sources/{id}")).await;
    assert!(api.body["disabled_at"].is_null(), "{}", api.text);
    let r = s
        .post(&client, &format!("/console/sources/{id}/delete"), &[])
        .await;
    assert_eq!(r.headers["location"], "/console/sources");
    assert_eq!(
        stack
            .api
            .get(&format!("/2024-03-01/sources/{id}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_bad_name_re_renders_the_form_with_the_apis_message() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let s = login(&client, ADMIN_KEY).await;
    let r = s
        .post(
            &client,
            "/console/sources",
            &[("name", "no spaces allowed")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("role=\"alert\""));
    assert!(r.text.contains("value=\"no spaces allowed\""));
    let r = s
        .post(
            &client,
            "/console/destinations",
            &[("name", "d"), ("url", "ftp://x")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let listed = stack.api.get("/2024-03-01/sources").await;
    assert_eq!(listed.body["count"], 0, "{}", listed.text);
}
