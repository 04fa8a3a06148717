//! Requests at source URLs: stored byte for byte, verified, rejected with their cause.

use crate::helpers::*;
use crate::support::*;
use hmac::{Hmac, Mac};
use serde_json::json;

fn hmac_b64(key: &str, body: &[u8]) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    m.update(body);
    base64(&m.finalize().into_bytes())
}

/// The path of a source URL (`/e/src_...`), from the source's `url`.
fn source_path(source: &serde_json::Value, base: &str) -> String {
    source["url"]
        .as_str()
        .unwrap()
        .strip_prefix(base)
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_accepted_request_is_stored_byte_for_byte_without_a_key() {
    let stack = TestStack::spawn().await;
    let c = connection(&stack.api, "in", "https://example.com/in").await;
    let path = source_path(&c["source"], &stack.base);
    let anonymous = stack.api.with_key(None);
    // Not JSON, not even UTF-8: stored as it came.
    let body: &[u8] = b"plain \xff\xfe text";
    let r = anonymous
        .raw(
            "POST",
            &format!("{path}/orders/7?x=1&x=2&y=z"),
            Some(body.to_vec().into()),
            &[("x-shop", "eu")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "SUCCESS");
    assert_eq!(r.body["message"], "Request received");
    let rid = r.body["request_id"].as_str().unwrap().to_owned();
    assert!(rid.starts_with("req_"), "{rid}");

    let got = ok(call(&stack.api, "GET", &format!("/requests/{rid}"), None).await);
    assert_eq!(got["source_id"], c["source"]["id"]);
    assert_eq!(got["verified"], json!(false));
    assert!(got["rejection_cause"].is_null());
    assert_eq!(got["data"]["path"], "/orders/7");
    assert_eq!(got["data"]["query"], "x=1&x=2&y=z");
    assert_eq!(
        got["data"]["parsed_query"],
        json!({"x": ["1", "2"], "y": "z"})
    );
    assert_eq!(got["data"]["headers"]["x-shop"], "eu");
    assert!(got["data"]["body"].as_str().unwrap().starts_with("plain "));
    let stored: Vec<u8> = stack
        .db()
        .await
        .query_one("SELECT body FROM gw_requests", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, body);
    let raw = ok(call(
        &stack.api,
        "GET",
        &format!("/requests/{rid}/raw_body"),
        None,
    )
    .await);
    assert!(raw["body"].as_str().unwrap().starts_with("plain "));

    // JSON bodies are parsed into data.body; lists show data only on request.
    let r = anonymous
        .raw("PUT", &path, Some(r#"{"type":"order.paid"}"#.into()), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let list = ok(call(&stack.api, "GET", "/requests?include=data&limit=1", None).await);
    assert_eq!(
        list["models"][0]["data"]["body"],
        json!({"type": "order.paid"})
    );
    assert_eq!(list["models"][0]["data"]["path"], "/");
    let bare = ok(call(&stack.api, "GET", "/requests", None).await);
    assert_eq!(bare["count"], 2);
    assert!(bare["models"][0].get("data").is_none());

    // Unknown or malformed sources: 404, nothing stored.
    for p in ["/e/src_00000000000000000000000000000000", "/e/nope", "/e/"] {
        let r = anonymous.raw("POST", p, Some("{}".into()), &[]).await;
        assert_eq!(r.status, 404, "{p}: {}", r.text);
    }
    assert_eq!(
        ok(call(&stack.api, "GET", "/requests", None).await)["count"],
        2
    );
    stack.stop().await;
}

#[tokio::test]
async fn rejected_requests_are_recorded_with_their_cause() {
    let stack = TestStack::spawn_with(|s| s.ingest.body_limit_bytes = 1024).await;
    let api = &stack.api;
    let source = ok(call(
        api,
        "POST",
        "/sources",
        Some(json!({"name": "signed", "allowed_http_methods": ["POST"],
            "verification": {"type": "HMAC", "configs": {"webhook_secret_key": "k3y",
                "header_key": "x-signature", "encoding": "base64"}}})),
    )
    .await);
    let path = source_path(&source, &stack.base);
    let anonymous = api.with_key(None);
    let body = br#"{"n":1}"#;
    let good = hmac_b64("k3y", body);
    let send = |method: &'static str, body: Vec<u8>, sig: String| {
        let anonymous = anonymous.clone();
        let path = path.clone();
        async move {
            anonymous
                .raw(
                    method,
                    &path,
                    Some(body.into()),
                    &[("x-signature", sig.as_str())],
                )
                .await
        }
    };

    let r = send("POST", body.to_vec(), good.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let accepted = r.body["request_id"].as_str().unwrap().to_owned();
    let cases = [
        (
            send("POST", body.to_vec(), hmac_b64("wrong", body)).await,
            401,
            "VERIFICATION_FAILED",
        ),
        (
            send("POST", b"{\"n\":2}".to_vec(), good.clone()).await,
            401,
            "VERIFICATION_FAILED",
        ),
        (
            send("GET", vec![], good.clone()).await,
            405,
            "UNSUPPORTED_HTTP_METHOD",
        ),
        (
            send("POST", vec![b'x'; 1025], good.clone()).await,
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    let sid = id(&source);
    ok(call(api, "PUT", &format!("/sources/{sid}/disable"), None).await);
    let disabled = send("POST", body.to_vec(), good.clone()).await;
    for (r, status, cause) in cases
        .into_iter()
        .chain([(disabled, 403, "SOURCE_DISABLED")])
    {
        gw_error(&r, status, cause);
        let rid = r.body["data"]["request_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{}", r.text));
        let stored = ok(call(api, "GET", &format!("/requests/{rid}"), None).await);
        assert_eq!(stored["rejection_cause"], cause, "{stored}");
        assert_eq!(stored["verified"], json!(false));
    }
    let got = ok(call(api, "GET", &format!("/requests/{accepted}"), None).await);
    assert_eq!(got["verified"], json!(true));
    let q = |q: &str| {
        let q = q.to_owned();
        async move { ok(call(api, "GET", &format!("/requests?{q}"), None).await)["count"].clone() }
    };
    assert_eq!(q("status=rejected").await, 5);
    assert_eq!(q("status=accepted").await, 1);
    assert_eq!(q("rejection_cause=VERIFICATION_FAILED").await, 2);
    assert_eq!(q("verified=true").await, 1);
    assert_eq!(q(&format!("source_id={sid}")).await, 6);
    // Counted in the gateway's metrics.
    let metrics = api.get("/metrics").await.text;
    assert!(
        metrics.contains("hookd_gateway_requests_accepted_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"hookd_gateway_requests_rejected_total{cause="VERIFICATION_FAILED"} 2"#)
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_custom_response_answers_accepted_requests() {
    let stack = TestStack::spawn().await;
    let source = ok(call(
        &stack.api,
        "POST",
        "/sources",
        Some(
            json!({"name": "custom", "custom_response": {"content_type": "xml", "body": "<ok/>"}}),
        ),
    )
    .await);
    let path = source_path(&source, &stack.base);
    let r = stack
        .api
        .with_key(None)
        .raw("POST", &path, Some("a=b".into()), &[])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, "<ok/>");
    assert_eq!(r.headers["content-type"], "application/xml");
    stack.stop().await;
}

/// Ingest keeps sources in a short cache: a change made through the API applies to the very
/// next request all the same.
#[tokio::test]
async fn a_change_to_a_source_applies_to_the_next_request() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let source = ok(call(api, "POST", "/sources", Some(json!({"name": "cached"}))).await);
    let (sid, path) = (id(&source), source_path(&source, &stack.base));
    let anonymous = api.with_key(None);
    let status = |method: &'static str| {
        let (anonymous, path) = (anonymous.clone(), path.clone());
        async move {
            anonymous
                .raw(method, &path, Some("{}".into()), &[])
                .await
                .status
        }
    };
    assert_eq!(status("POST").await, 200, "the source is now cached");
    ok(call(
        api,
        "PUT",
        &format!("/sources/{sid}"),
        Some(json!({"allowed_http_methods": ["PUT"]})),
    )
    .await);
    assert_eq!(status("POST").await, 405, "an update applies at once");
    assert_eq!(status("PUT").await, 200);
    ok(call(api, "PUT", &format!("/sources/{sid}/disable"), None).await);
    assert_eq!(status("PUT").await, 403, "a disable applies at once");
    ok(call(api, "PUT", &format!("/sources/{sid}/enable"), None).await);
    assert_eq!(status("PUT").await, 200, "an enable applies at once");
    ok(call(api, "DELETE", &format!("/sources/{sid}"), None).await);
    assert_eq!(status("PUT").await, 404, "a deletion applies at once");
    stack.stop().await;
}
