//! Destinations over HTTPS, through the same client as endpoints: one whose certificate the CA
//! of `delivery.extra_ca_file` signed gets the request, signed; one whose certificate another
//! CA signed fails every try, each attempt saying why (error code and the TLS error).

use crate::engine::signature;
use crate::engine_support::*;
use crate::helpers::*;
use crate::support::*;
use hookd_testkit::{Receiver, TestPki};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn https_destinations_trust_the_extra_ca_and_record_certificate_failures() {
    let pki = TestPki::ca_signed();
    let ca_file = pki.ca_file().display().to_string();
    let stack = TestStack::spawn_with(|s| s.delivery.extra_ca_file = ca_file).await;
    let trusted = Receiver::start_tls(pki.server_config()).await;
    // Signed by a CA of its own that nothing trusts.
    let untrusted = Receiver::start_tls(TestPki::ca_signed().server_config()).await;
    let c = connect(
        &stack,
        "shop",
        "to-trusted",
        json!({"url": trusted.url("/hook")}),
        json!([]),
    )
    .await;
    connect(
        &stack,
        "shop",
        "to-untrusted",
        json!({"url": untrusted.url("/hook")}),
        json!([]),
    )
    .await;
    let secret = ok(stack.api.get("/api/v1/gateway/signing_secret").await)["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = br#"{"order": 7}"#;
    let request = inbound(&stack, &c["source"], "", body, &[]).await;

    assert!(
        trusted
            .wait_for(Duration::from_secs(15), |r| !r.is_empty())
            .await,
        "nothing reached the trusted HTTPS destination"
    );
    let got = &trusted.received()[0];
    assert_eq!(&got.body[..], body, "the body changed on the way");
    assert_eq!(
        got.header("x-hookdeck-signature"),
        Some(signature(&secret, body).as_str()),
        "the signature does not verify with the organization's secret"
    );

    // Test schedule 0s,300ms,300ms: three tries, then FAILED.
    let events = wait_events(&stack, request, |e| {
        e.len() == 2 && e[0].0 == "SUCCESSFUL" && e[1].0 == "FAILED" && e[1].1 == 3
    })
    .await;
    let failed = stack
        .db()
        .await
        .query_one(
            "SELECT id FROM gw_events WHERE request_id = $1 AND connection_id = $2",
            &[&request, &events[1].2],
        )
        .await
        .unwrap()
        .get::<_, uuid::Uuid>(0);
    let attempts = ok(call(
        &stack.api,
        "GET",
        &format!("/attempts?event_id=evt_{}", failed.simple()),
        None,
    )
    .await);
    assert_eq!(attempts["count"], 3, "{attempts}");
    for attempt in attempts["models"].as_array().unwrap() {
        assert_eq!(attempt["status"], "FAILED", "{attempt}");
        assert_eq!(attempt["response_status"], json!(null), "{attempt}");
        assert_eq!(attempt["error_code"], "SSL_ERROR_CA_UNKNOWN", "{attempt}");
        let reason = attempt["body"].as_str().unwrap_or_default();
        assert!(
            reason.contains("invalid peer certificate"),
            "unclear TLS error: {attempt}"
        );
    }
    assert!(
        untrusted.connections() >= 3,
        "only {} connections reached the untrusted server",
        untrusted.connections()
    );
    assert!(
        untrusted.received().is_empty(),
        "a request went past the check"
    );
    stack.stop().await;
}
