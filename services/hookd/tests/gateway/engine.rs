//! The gateway engine end to end: a request at a source URL routed into events and delivered
//! by the delivery workers, signed, with the destination's credential.

use crate::engine_support::*;
use crate::helpers::*;
use crate::support::*;
use hmac::{Hmac, Mac};
use serde_json::json;
use std::time::Duration;

/// `x-hookdeck-signature` computed here, independently of the engine.
pub(crate) fn signature(secret: &str, body: &[u8]) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(body);
    base64(&m.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_reaches_its_destination_byte_identical_and_signed() {
    let stack = TestStack::spawn().await;
    let c = connect(
        &stack,
        "shop",
        "to-app",
        json!({"url": stack.receiver.url("/hook")}),
        json!([]),
    )
    .await;
    let secret = ok(stack.api.get("/api/v1/gateway/signing_secret").await);
    let secret = secret["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        ok(stack.api.get("/api/v1/gateway/signing_secret").await)["secret"],
        json!(secret),
        "the secret is made once"
    );
    // Not JSON, not even UTF-8: forwarded as it came.
    let body: &[u8] = b"raw \xff\xfe {\"n\": 1}";
    let request = inbound(
        &stack,
        &c["source"],
        "/orders/7?x=1&y=z",
        body,
        &[("x-shop", "eu")],
    )
    .await;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |r| !r.is_empty())
            .await,
        "nothing delivered"
    );
    let got = &stack.receiver.received()[0];
    assert_eq!(got.path, "/hook/orders/7");
    assert_eq!(got.query, "x=1&y=z");
    assert_eq!(got.method, "POST");
    assert_eq!(&got.body[..], body, "the body changed on the way");
    assert_eq!(got.header("x-shop"), Some("eu"));
    let events = wait_events(&stack, request, |e| e.len() == 1 && e[0].0 == "SUCCESSFUL").await;
    let event_id = format!("evt_{}", {
        stack
            .db()
            .await
            .query_one(
                "SELECT id FROM gw_events WHERE request_id = $1",
                &[&request],
            )
            .await
            .unwrap()
            .get::<_, uuid::Uuid>(0)
            .simple()
    });
    assert_eq!(events[0].1, 1);
    assert_eq!(got.header("x-hookdeck-eventid"), Some(event_id.as_str()));
    assert_eq!(got.header("idempotency-key"), Some(event_id.as_str()));
    assert_eq!(
        got.header("x-hookdeck-requestid"),
        Some(format!("req_{}", request.simple()).as_str())
    );
    assert_eq!(got.header("x-hookdeck-source-name"), Some("shop"));
    assert_eq!(got.header("x-hookdeck-attempt-count"), Some("1"));
    assert_eq!(got.header("x-hookdeck-attempt-trigger"), Some("INITIAL"));
    assert_eq!(got.header("x-hookdeck-verified"), Some("false"));
    assert_eq!(
        got.header("x-hookdeck-signature"),
        Some(signature(&secret, body).as_str()),
        "the signature does not verify with the organization's secret"
    );
    assert_eq!(got.header("x-hookdeck-signature-2"), None);
    let tries = attempts(&stack, request).await;
    assert_eq!(
        tries,
        vec![("INITIAL".to_owned(), "SUCCESSFUL".to_owned(), Some(200))]
    );

    // A rotation: the new secret signs, the old one signs the second header.
    let rotated = ok(stack
        .api
        .post("/api/v1/gateway/signing_secret/rotate", &json!({}))
        .await);
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    inbound(&stack, &c["source"], "", b"second", &[]).await;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |r| r.len() >= 2)
            .await
    );
    let second = &stack.receiver.received()[1];
    assert_eq!(second.path, "/hook");
    assert_eq!(
        second.header("x-hookdeck-signature"),
        Some(signature(&new_secret, b"second").as_str())
    );
    assert_eq!(
        second.header("x-hookdeck-signature-2"),
        Some(signature(&secret, b"second").as_str())
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn filters_disabled_and_missing_connections_make_ignored_events() {
    let stack = TestStack::spawn().await;
    let filtered = connect(
        &stack,
        "src",
        "filtered",
        json!({"url": stack.receiver.url("/filtered")}),
        json!([{"type": "filter", "body": {"kind": "order.paid"}}]),
    )
    .await;
    let passing = connect(
        &stack,
        "src",
        "passing",
        json!({"url": stack.receiver.url("/passing")}),
        json!([{"type": "filter", "headers": {"x-kind": {"$startsWith": "ord"}}}]),
    )
    .await;
    let off = connect(
        &stack,
        "src",
        "off",
        json!({"url": stack.receiver.url("/off")}),
        json!([]),
    )
    .await;
    let off_dest = connect(
        &stack,
        "src",
        "off-dest",
        json!({"url": stack.receiver.url("/off-dest")}),
        json!([]),
    )
    .await;
    let twin = connect(
        &stack,
        "src",
        "twin",
        json!({"url": stack.receiver.url("/twin")}),
        json!([]),
    )
    .await;
    let cid = |c: &serde_json::Value| uuid_of(c["id"].as_str().unwrap());
    ok(call(
        &stack.api,
        "PUT",
        &format!("/connections/{}/disable", id(&off)),
        None,
    )
    .await);
    ok(call(
        &stack.api,
        "PUT",
        &format!("/destinations/{}/disable", id(&off_dest["destination"])),
        None,
    )
    .await);
    let request = inbound(
        &stack,
        &filtered["source"],
        "",
        br#"{"kind": "order.created"}"#,
        &[("x-kind", "order")],
    )
    .await;
    wait_routed(&stack, request).await;
    let ignored: Vec<(Option<uuid::Uuid>, String, Option<serde_json::Value>)> = stack
        .db()
        .await
        .query(
            "SELECT connection_id, cause, meta FROM gw_ignored_events WHERE request_id = $1",
            &[&request],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(ignored.len(), 3, "{ignored:?}");
    assert!(ignored.contains(&(
        Some(cid(&filtered)),
        "FILTERED".into(),
        Some(json!({"part": "body"}))
    )));
    assert!(ignored.contains(&(Some(cid(&off)), "DISABLED".into(), None)));
    assert!(ignored.contains(&(Some(cid(&off_dest)), "DISABLED".into(), None)));
    // Two connections pass: two events, each delivered to its own destination.
    let events = wait_events(&stack, request, |e| {
        e.len() == 2 && e.iter().all(|(s, _, _)| s == "SUCCESSFUL")
    })
    .await;
    let connections: Vec<_> = events.iter().map(|e| e.2).collect();
    assert_eq!(connections, vec![cid(&passing), cid(&twin)]);
    let counts = stack
        .db()
        .await
        .query_one(
            "SELECT events_count, ignored_count FROM gw_requests WHERE id = $1",
            &[&request],
        )
        .await
        .unwrap();
    assert_eq!((counts.get::<_, i32>(0), counts.get::<_, i32>(1)), (2, 3));
    assert_eq!(stack.receiver.received_at("/passing").len(), 1);
    assert_eq!(stack.receiver.received_at("/twin").len(), 1);
    for path in ["/filtered", "/off", "/off-dest"] {
        assert!(stack.receiver.received_at(path).is_empty(), "{path} got it");
    }
    // The metrics count the same events as the rows.
    let router = hookd_testkit::scrape(stack.router_port).await;
    let line = |text: &str, series: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(series).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| panic!("no {series} in {text}"))
    };
    assert_eq!(
        line(
            &router,
            "hookd_gateway_events_ignored_total{cause=\"DISABLED\"}"
        ),
        "2"
    );
    assert_eq!(
        line(
            &router,
            "hookd_gateway_events_ignored_total{cause=\"FILTERED\"}"
        ),
        "1"
    );
    assert_eq!(
        line(
            &router,
            "hookd_gateway_events_created_total{status=\"QUEUED\"}"
        ),
        "2"
    );
    // Counted just after the attempt commits: poll briefly.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let delivery = hookd_testkit::scrape(stack.delivery_port).await;
        let n = line(
            &delivery,
            "hookd_gateway_attempts_total{outcome=\"successful\"}",
        );
        if n == "2" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "successful attempts: {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A source without connections: the request's cause is NO_CONNECTION (as Hookdeck's), it
    // was answered 200 all the same, and no connection has an ignored event for it.
    let lonely = ok(call(
        &stack.api,
        "POST",
        "/sources",
        Some(json!({"name": "lonely"})),
    )
    .await);
    let request = inbound(&stack, &lonely, "", b"{}", &[]).await;
    wait_routed(&stack, request).await;
    let row = stack
        .db()
        .await
        .query_one(
            "SELECT rejection_cause, (SELECT count(*) FROM gw_ignored_events WHERE request_id = $1)
             FROM gw_requests WHERE id = $1",
            &[&request],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Option<String>>(0).as_deref(),
        Some("NO_CONNECTION")
    );
    assert_eq!(row.get::<_, i64>(1), 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_auth_method_puts_its_credential_on_the_request() {
    let stack = TestStack::spawn().await;
    let methods = [
        (
            "basic",
            json!({"type": "BASIC_AUTH", "config": {"username": "u", "password": "p"}}),
        ),
        (
            "bearer",
            json!({"type": "BEARER_TOKEN", "config": {"token": "tok-1"}}),
        ),
        (
            "header",
            json!({"type": "API_KEY", "config": {"key": "x-dest-key", "api_key": "k-2", "to": "header"}}),
        ),
        (
            "query",
            json!({"type": "API_KEY", "config": {"key": "api_key", "api_key": "k 3", "to": "query"}}),
        ),
    ];
    let mut source = None;
    for (name, auth) in &methods {
        let c = connect(
            &stack,
            "authed",
            name,
            json!({"url": stack.receiver.url(&format!("/{name}/")), "auth_method": auth}),
            json!([]),
        )
        .await;
        source = Some(c["source"].clone());
    }
    // A destination's own method, and one that does not take the path.
    let put = connect(
        &stack,
        "authed",
        "put",
        json!({"url": stack.receiver.url("/put"), "http_method": "PUT",
            "path_forwarding_disabled": true}),
        json!([]),
    )
    .await;
    assert_eq!(put["destination"]["http_method"], "PUT");
    inbound(
        &stack,
        &source.unwrap(),
        "/deep/path?a=1",
        b"{}",
        &[("user-agent", "provider/1")],
    )
    .await;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |r| r.len() >= 5)
            .await,
        "not every destination got it"
    );
    let put = stack.receiver.received_at("/put");
    assert_eq!(
        (put[0].method.as_str(), put[0].query.as_str()),
        ("PUT", "a=1")
    );
    assert_eq!(put[0].header("user-agent"), Some("provider/1"));
    let at = |p: &str| stack.receiver.received_at(&format!("{p}/deep/path"))[0].clone();
    assert_eq!(at("/basic").header("authorization"), Some("Basic dTpw"));
    assert_eq!(at("/bearer").header("authorization"), Some("Bearer tok-1"));
    assert_eq!(at("/header").header("x-dest-key"), Some("k-2"));
    assert_eq!(at("/query").query, "a=1&api_key=k+3");
    for p in ["/basic", "/bearer", "/header", "/query"] {
        assert_eq!(at(p).method, "POST", "the inbound method");
    }
    // The signature is there whatever the auth method.
    assert!(at("/basic").header("x-hookdeck-signature").is_some());
    stack.stop().await;
}
