//! Below HTTP: an endpoint whose port is closed, and an HTTPS endpoint whose certificate no
//! trusted authority signed, each try a failed attempt with the error named, retried on the
//! schedule, the delivery ending `failed`; and an HTTPS endpoint whose certificate the CA of
//! `delivery.extra_ca_file` signed, delivered and signed.

use crate::helpers::*;
use hookd_testkit::{Receiver, TestPki};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

/// An endpoint at `url` (not the stack's receiver), once the router routes to it.
async fn endpoint_at(stack: &TestStack, f: &Fixture, url: &str) -> Value {
    let e = created(
        stack
            .api
            .post(
                &format!("/api/v1/subscriptions/{}/endpoints", f.subscription_id),
                &json!({"url": url, "event_types": ["user.created"]}),
            )
            .await,
    );
    let id: Uuid = e["id"].as_str().unwrap().parse().unwrap();
    stack.wait_view(|v| v.endpoint(id).is_some()).await;
    e
}

/// Sends one message and returns the attempts of its delivery once it has failed.
async fn failed_attempts(stack: &TestStack, f: &Fixture) -> Vec<Value> {
    let m = stack
        .send(f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await
        .body;
    let d = stack
        .eventually(
            &format!("/api/v1/messages/{}/deliveries", m["id"].as_str().unwrap()),
            Duration::from_secs(30),
            |b| b["models"][0]["status"] == "failed",
        )
        .await;
    let delivery = &d["models"][0];
    assert_eq!(
        delivery["attempt_count"], 3,
        "schedule 0s,300ms,300ms: {delivery}"
    );
    let a = stack
        .api
        .get(&format!(
            "/api/v1/deliveries/{}/attempts?dir=asc",
            delivery["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let attempts = a.body["models"].as_array().unwrap().clone();
    assert_eq!(attempts.len(), 3, "{}", a.text);
    for attempt in &attempts {
        assert_eq!(attempt["response_status"], Value::Null, "{attempt}");
    }
    attempts
}

fn error_of(attempt: &Value) -> String {
    attempt["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {attempt}"))
        .to_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_closed_port_is_a_failed_attempt_saying_the_connection_was_refused() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    // A port that was just free: nothing listens on it once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    endpoint_at(&stack, &f, &format!("http://127.0.0.1:{port}/hook")).await;
    for attempt in failed_attempts(&stack, &f).await {
        let error = error_of(&attempt);
        assert!(
            error.contains("connect") && error.contains("refused"),
            "unclear error: {error}"
        );
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_https_endpoint_with_a_self_signed_certificate_fails_with_a_tls_error() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let https = Receiver::start_tls(TestPki::self_signed().server_config()).await;
    endpoint_at(&stack, &f, &https.url("/hook")).await;
    for attempt in failed_attempts(&stack, &f).await {
        let error = error_of(&attempt);
        assert!(
            error.contains("invalid peer certificate"),
            "unclear TLS error: {error}"
        );
    }
    // Each try reached the server and was stopped by the certificate check, not before.
    assert!(
        https.connections() >= 3,
        "only {} connections reached the HTTPS server",
        https.connections()
    );
    assert!(https.received().is_empty(), "a request went past the check");
    stack.stop().await;
}

/// `delivery.extra_ca_file`: a receiver whose certificate a private CA signed gets its webhook
/// over HTTPS, signed; the same receiver is refused by a delivery service without the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_https_endpoint_signed_by_the_extra_ca_gets_its_signed_webhook() {
    let pki = TestPki::ca_signed();
    let ca_file = pki.ca_file().display().to_string();
    let stack = TestStack::spawn_with(|s| s.delivery.extra_ca_file = ca_file).await;
    let f = stack.fixture().await;
    let https = Receiver::start_tls(pki.server_config()).await;
    let endpoint = endpoint_at(&stack, &f, &https.url("/hook")).await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await
        .body;
    let d = stack
        .eventually(
            &format!("/api/v1/messages/{}/deliveries", m["id"].as_str().unwrap()),
            Duration::from_secs(30),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    assert_eq!(d["models"][0]["attempt_count"], 1, "{d}");
    let got = https.received_at("/hook");
    assert_eq!(got.len(), 1, "one request over TLS");
    assert_eq!(got[0].json()["data"], json!({"n": 1}));
    let (id, ts, signature) = (
        got[0].header("webhook-id").unwrap(),
        got[0].header("webhook-timestamp").unwrap().parse().unwrap(),
        got[0].header("webhook-signature").unwrap(),
    );
    assert!(
        hookd_signing::verify(
            endpoint["secret"].as_str().unwrap(),
            id,
            ts,
            &got[0].body,
            signature
        ),
        "the webhook's signature does not verify: {signature}"
    );
    stack.stop().await;

    // Without the file the private CA is unknown: the same certificate fails every try.
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let https = Receiver::start_tls(pki.server_config()).await;
    endpoint_at(&stack, &f, &https.url("/hook")).await;
    for attempt in failed_attempts(&stack, &f).await {
        let error = error_of(&attempt);
        assert!(
            error.contains("invalid peer certificate") && error.contains("unknownissuer"),
            "unclear TLS error: {error}"
        );
    }
    assert!(https.received().is_empty(), "a request went past the check");
    stack.stop().await;
}
