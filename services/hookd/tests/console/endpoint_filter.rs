//! The endpoint page shows an endpoint's payload filter (issue 18) read-only, and the edit form,
//! which has no filter field, keeps it.

use crate::helpers::*;
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn the_endpoint_page_shows_the_filter_and_an_edit_keeps_it() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let filter = json!({"data": {"amount": {"$gte": 100}}});
    let e = stack
        .endpoint(&f, "/f", json!({"filter": filter.clone()}))
        .await;
    let plain = stack.endpoint(&f, "/p", json!({})).await;
    let client = browser(&stack);
    let session = login(&client, ADMIN_KEY).await;
    let page = |id: &serde_json::Value| {
        format!(
            "/console/subscriptions/{}/endpoints/{}",
            f.subscription_id,
            id.as_str().unwrap()
        )
    };

    let shown = session.get(&client, &page(&e["id"])).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    // maud escapes the JSON's quotes.
    assert!(
        shown
            .text
            .contains("{&quot;data&quot;:{&quot;amount&quot;:{&quot;$gte&quot;:100}}}"),
        "{}",
        shown.text
    );
    let none = session.get(&client, &page(&plain["id"])).await;
    assert!(
        none.text.contains("every message of its event types"),
        "{}",
        none.text
    );

    let edited = session
        .post(
            &client,
            &format!("{}/edit", page(&e["id"])),
            &[
                ("url", &stack.receiver.url("/f2")),
                ("version", "1.0"),
                ("description", "edited"),
                ("event_types", "user.created"),
            ],
        )
        .await;
    assert!(edited.status < 400, "{}", edited.text);
    let api = stack
        .api
        .get(&format!(
            "/api/v1/subscriptions/{}/endpoints/{}",
            f.subscription_id,
            e["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(api.body["description"], "edited", "{}", api.text);
    assert_eq!(api.body["filter"], filter, "{}", api.text);
    stack.stop().await;
}
