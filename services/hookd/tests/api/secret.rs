//! The signing secret is read only from `GET .../endpoints/{id}/secret`: endpoint GET, list and
//! PATCH answers leave it out, and another organization gets 404 there.

use crate::helpers::*;
use crate::rotation::received;
use crate::support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_secret_route_answers_the_secret_that_signs_deliveries() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let endpoint = stack.endpoint(&f, "/secret-read", json!({})).await;
    let ep = id(&endpoint);
    let sub = &f.subscription_id;
    let base = format!("/api/v1/subscriptions/{sub}/endpoints");
    let one = format!("{base}/{ep}");

    // The create answer carries it (API.md); GET, list and PATCH answers do not.
    let created_secret = endpoint["secret"]
        .as_str()
        .expect("create answer")
        .to_owned();
    let got = stack.api.get(&one).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert!(got.body.get("secret").is_none(), "GET carries a secret");
    let listed = stack.api.get(&base).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["models"][0]["id"], json!(ep));
    assert!(listed.body["models"][0].get("secret").is_none());
    let patched = stack.api.patch(&one, &json!({"description": "d"})).await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert!(
        patched.body.get("secret").is_none(),
        "PATCH carries a secret"
    );
    let raw = created_secret.trim_start_matches("whsec_");
    for r in [&got, &listed, &patched] {
        assert!(
            !r.text.contains(raw),
            "an answer leaks the secret: {}",
            r.text
        );
    }

    // GET .../secret answers {secret}, and that secret verifies a delivered webhook.
    let shown = ok(stack.api.get(&format!("{one}/secret")).await);
    assert_eq!(shown, json!({"secret": created_secret}));
    let secret = shown["secret"].as_str().unwrap();
    let sent = stack
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text);
    let message_id = id(&sent.body);
    let (ts, body, header) = received(&stack, "/secret-read", &message_id).await;
    assert!(
        hookd_signing::verify(secret, &message_id, ts, &body, &header),
        "the secret of GET .../secret does not verify {header}"
    );
    assert!(!hookd_signing::verify(
        &hookd_signing::generate_secret(),
        &message_id,
        ts,
        &body,
        &header
    ));

    // Another organization: 404 in the error format, nothing of the secret.
    let (_, other) = new_org(&stack).await;
    let r = other.get(&format!("{one}/secret")).await;
    assert_error(&r, 404);
    assert!(!r.text.contains(raw), "{}", r.text);
    // An unknown endpoint of one's own subscription: 404 too.
    let r = stack
        .api
        .get(&format!("{base}/{}/secret", uuid::Uuid::new_v4()))
        .await;
    assert_error(&r, 404);
    stack.stop().await;
}
