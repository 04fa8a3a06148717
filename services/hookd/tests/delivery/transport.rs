//! Failures below HTTP: an endpoint whose port is closed, and an HTTPS endpoint whose
//! certificate no trusted authority signed. Each try is a failed attempt with the error named,
//! retried on the schedule, and the delivery ends `failed`.

use crate::helpers::*;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// An endpoint at `url` (not the receiver), once the router routes to it.
async fn endpoint_at(stack: &TestStack, f: &Fixture, url: &str) {
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

/// A self-signed certificate for 127.0.0.1, made by `openssl` for this test: (cert, key) PEM.
fn self_signed() -> (Vec<u8>, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("hookd-tls-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl (the TLS test needs it)");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pems = (std::fs::read(&cert).unwrap(), std::fs::read(&key).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    pems
}

/// A TLS server presenting a self-signed certificate; counts the handshakes it was asked for.
async fn self_signed_https() -> (u16, Arc<AtomicUsize>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (cert, key) = self_signed();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert)
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(&key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hellos = Arc::new(AtomicUsize::new(0));
    let counted = hellos.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            // The client rejects the certificate, so the handshake ends in its alert.
            tokio::spawn(async move {
                let _ = acceptor.accept(stream).await;
            });
        }
    });
    (port, hellos)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_https_endpoint_with_a_self_signed_certificate_fails_with_a_tls_error() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let (port, handshakes) = self_signed_https().await;
    endpoint_at(&stack, &f, &format!("https://127.0.0.1:{port}/hook")).await;
    for attempt in failed_attempts(&stack, &f).await {
        let error = error_of(&attempt);
        assert!(
            error.contains("invalid peer certificate"),
            "unclear TLS error: {error}"
        );
    }
    // Each try reached the server and was stopped by the certificate check, not before.
    assert!(
        handshakes.load(Ordering::SeqCst) >= 3,
        "only {} connections reached the HTTPS server",
        handshakes.load(Ordering::SeqCst)
    );
    stack.stop().await;
}
