//! The endpoint page of a fifo endpoint (issue 18) shows its ordering and, per lane, the head and
//! what waits behind it; the edit form, which has no ordering field, keeps it.

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::Behavior;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn the_endpoint_page_shows_fifo_lanes_and_an_edit_keeps_the_ordering() {
    // A failed first try waits a minute: the head stays pending with one message behind it.
    let stack = TestStack::spawn_with(|s| {
        s.delivery.retry_schedule = vec![Duration::ZERO, Duration::from_secs(60)];
    })
    .await;
    let f = stack.fixture().await;
    stack.receiver.set("/o", Behavior::Status(500));
    let e = stack
        .endpoint(
            &f,
            "/o",
            json!({"ordering": "fifo", "ordering_key": "customer"}),
        )
        .await;
    for seq in 0..2 {
        let r = stack
            .send(
                &f,
                json!({"event_type": "user.created", "data": {"seq": seq, "customer": "c9"}}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    stack
        .eventually(
            &format!("/api/v1/endpoints/{}/ordering", e["id"].as_str().unwrap()),
            Duration::from_secs(20),
            |b| b["lanes"][0]["head_attempt_count"] == 1 && b["lanes"][0]["waiting"] == 1,
        )
        .await;
    let client = browser(&stack);
    let session = login(&client, ADMIN_KEY).await;
    let page = format!(
        "/console/subscriptions/{}/endpoints/{}",
        f.subscription_id,
        e["id"].as_str().unwrap()
    );
    let shown = session.get(&client, &page).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    for text in [
        "<h2 id=\"lanes-h\">Ordering</h2>",
        "<th scope=\"col\">Waiting</th>",
        // maud escapes the key's JSON quotes.
        "&quot;c9&quot;",
        "customer",
    ] {
        assert!(shown.text.contains(text), "{text}: {}", shown.text);
    }

    let edited = session
        .post(
            &client,
            &format!("{page}/edit"),
            &[
                ("url", &stack.receiver.url("/o")),
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
    assert_eq!(api.body["ordering"], "fifo", "{}", api.text);
    assert_eq!(api.body["ordering_key"], "customer", "{}", api.text);
    stack.stop().await;
}
