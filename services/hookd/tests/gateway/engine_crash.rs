//! The engine under crashes and on the wire: router and delivery SIGKILLed between requests'
//! 200 and their delivery lose nothing; no secret rides the broker.

use crate::children::{kill, spawn_service};
use crate::engine_support::*;
use crate::helpers::*;
use crate::support::*;
use hookd_bus::envelopes::DeliveryJob;
use hookd_testkit::{ApiClient, Behavior, Receiver};
use lapin::options::BasicGetOptions;
use prost::Message as _;
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_router_and_delivery_loses_no_event() {
    let settings = test_settings();
    prepare_database(&settings).await;
    let token = CancellationToken::new();
    let ingest = hookd_ingest::Application::build(settings.clone())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", ingest.port());
    let api = ApiClient::new(base.clone(), Some(ADMIN_KEY));
    let server = tokio::spawn(ingest.run_until_stopped(token.clone()));
    let receiver = Receiver::start().await;
    let c = ok(call(
        &api,
        "POST",
        "/connections",
        Some(json!({"name": "crash", "source": {"name": "crash-src"},
            "destination": {"name": "crash-dst", "url": receiver.url("/crash")}})),
    )
    .await);
    let path = c["source"]["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&base)
        .unwrap()
        .to_owned();
    let mut router = spawn_service(&settings, "router");
    let mut delivery = spawn_service(&settings, "delivery");
    let sender = {
        let anonymous = api.with_key(None);
        tokio::spawn(async move {
            let mut accepted = Vec::new();
            for seq in 0..150 {
                let r = anonymous
                    .raw(
                        "POST",
                        &path,
                        Some(format!("{{\"seq\": {seq}}}").into()),
                        &[],
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.text);
                accepted.push(r.body["request_id"].as_str().unwrap().to_owned());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            accepted
        })
    };
    tokio::time::sleep(Duration::from_millis(600)).await;
    kill(&mut router).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    router = spawn_service(&settings, "router");
    tokio::time::sleep(Duration::from_millis(600)).await;
    kill(&mut delivery).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    delivery = spawn_service(&settings, "delivery");

    let accepted: HashSet<String> = sender.await.unwrap().into_iter().collect();
    assert_eq!(accepted.len(), 150);
    let deadline = Instant::now() + Duration::from_secs(90);
    let missing = loop {
        let got: HashSet<String> = receiver
            .received_at("/crash")
            .iter()
            .filter_map(|r| r.header("x-hookdeck-requestid").map(str::to_owned))
            .collect();
        let missing = accepted.difference(&got).count();
        if missing == 0 || Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let total = receiver.received_at("/crash").len();
    println!("gateway crash test: 150 accepted, {missing} missing, {total} deliveries");
    assert_eq!(missing, 0, "accepted requests were never delivered");
    kill(&mut router).await;
    kill(&mut delivery).await;
    token.cancel();
    let _ = server.await;
    cleanup(&settings);
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_gateway_secret_rides_the_broker() {
    let stack = TestStack::spawn().await;
    let (_conn, ch, queue) = stack
        .tap(&[hookd_bus::Route::Deliveries, hookd_bus::Route::Requests])
        .await;
    // The first try fails, so the scheduler builds a job too: both builders are seen.
    stack.receiver.set(
        "/guarded",
        Behavior::FailFirst {
            times: 1,
            status: 500,
        },
    );
    let (src_key, bearer) = (
        format!("srckey-{}", uuid::Uuid::new_v4()),
        format!("bearer-{}", uuid::Uuid::new_v4()),
    );
    let c = ok(call(
        &stack.api,
        "POST",
        "/connections",
        Some(json!({"name": "guarded",
            "source": {"name": "guarded-src", "verification": {"type": "API_KEY",
                "configs": {"header_key": "X-Src-Key", "api_key": src_key}}},
            "destination": {"name": "guarded-dst", "url": stack.receiver.url("/guarded"),
                "auth_method": {"type": "BEARER_TOKEN", "config": {"token": bearer}}},
            "rules": [{"type": "retry", "strategy": "linear", "count": 1, "interval": 100}]})),
    )
    .await);
    let signing = ok(stack.api.get("/api/v1/gateway/signing_secret").await)["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    inbound(
        &stack,
        &c["source"],
        "",
        b"{\"n\": 1}",
        &[("x-src-key", &src_key), ("x-shop", "eu")],
    )
    .await;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |r| r.len() >= 2)
            .await,
        "no retry arrived"
    );
    let mut envelopes = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    // One RequestAccepted and two jobs.
    while envelopes.len() < 3 {
        assert!(Instant::now() < deadline, "the tap got {}", envelopes.len());
        while let Some(m) = ch
            .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            envelopes.push(m.delivery.data.clone());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut jobs = 0;
    for bytes in &envelopes {
        for secret in [&src_key, &bearer, &signing] {
            assert!(!contains(bytes, secret), "a secret rides the broker");
        }
        if let Ok(job) = DeliveryJob::decode(bytes.as_slice()) {
            if let Some(gw) = job.gateway {
                jobs += 1;
                assert!(gw.headers.iter().any(|h| h.name == "x-shop"));
            }
        }
    }
    assert_eq!(jobs, 2);
    // The worker opened them itself: the credential arrived, the source's key did not.
    for got in stack.receiver.received_at("/guarded") {
        assert_eq!(
            got.header("authorization"),
            Some(format!("Bearer {bearer}").as_str())
        );
        assert_eq!(
            got.header("x-src-key"),
            None,
            "the source's key was forwarded"
        );
        assert_eq!(got.header("x-hookdeck-verified"), Some("true"));
        assert_eq!(got.header("x-shop"), Some("eu"));
    }
    stack.stop().await;
}

/// Ingest dies after its commit and before its publish: the relay routes the request anyway;
/// and an event whose job was lost after routing is sent when its lease runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unpublished_request_is_relayed_and_a_lost_job_resent() {
    let stack = TestStack::spawn().await;
    let c = connect(
        &stack,
        "outbox",
        "outbox",
        json!({"url": stack.receiver.url("/outbox")}),
        json!([]),
    )
    .await;
    let (source, org): (uuid::Uuid, uuid::Uuid) = {
        let row = stack
            .db()
            .await
            .query_one(
                "SELECT id, organization_id FROM gw_sources WHERE id = $1",
                &[&uuid_of(c["source"]["id"].as_str().unwrap())],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    let insert = |id: uuid::Uuid, routed: bool| {
        let stack = &stack;
        async move {
            stack
                .db()
                .await
                .execute(
                    "WITH r AS (
                        INSERT INTO gw_requests (id, organization_id, source_id, verified,
                            method, data, body, ingested_at, created_at, routed_at)
                        VALUES ($1, $2, $3, false, 'POST',
                        '{\"path\": \"/\", \"query\": \"\", \"headers\": {}, \"body\": null}',
                            $4, now() - interval '1 minute', now() - interval '1 minute',
                            CASE WHEN $5 THEN now() END)
                        RETURNING id, created_at, routed_at
                     )
                     -- As ingest stores an accepted request: with its outbox row.
                     INSERT INTO gw_request_outbox (id, created_at)
                     SELECT id, created_at FROM r WHERE routed_at IS NULL",
                    &[&id, &org, &source, &id.to_string().into_bytes(), &routed],
                )
                .await
                .unwrap();
        }
    };
    let unpublished = uuid::Uuid::now_v7();
    insert(unpublished, false).await;
    // Routed, its event leased as the router leaves it just before publishing; the lease
    // already ran out and the job never reached the broker.
    let routed = uuid::Uuid::now_v7();
    insert(routed, true).await;
    stack
        .db()
        .await
        .execute(
            "INSERT INTO gw_events (id, organization_id, connection_id, source_id, destination_id,
                request_id, status, next_attempt_at, queued)
             VALUES ($1, $2, $3, $4, $5, $6, 'QUEUED', now() - interval '1 second', true)",
            &[
                &uuid::Uuid::now_v7(),
                &org,
                &uuid_of(c["id"].as_str().unwrap()),
                &source,
                &uuid_of(c["destination"]["id"].as_str().unwrap()),
                &routed,
            ],
        )
        .await
        .unwrap();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |r| r.len() >= 2)
            .await,
        "not both delivered"
    );
    let mut bodies: Vec<Vec<u8>> = stack
        .receiver
        .received_at("/outbox")
        .iter()
        .map(|r| r.body.to_vec())
        .collect();
    bodies.sort();
    let mut expected = vec![
        unpublished.to_string().into_bytes(),
        routed.to_string().into_bytes(),
    ];
    expected.sort();
    assert_eq!(bodies, expected);
    for r in [unpublished, routed] {
        wait_events(&stack, r, |e| e.len() == 1 && e[0].0 == "SUCCESSFUL").await;
    }
    stack.stop().await;
}
