use crate::children::{kill, spawn_service};
use crate::helpers::*;
use hookd_testkit::{ApiClient, Receiver};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// While a few hundred messages flow, SIGKILL the router and then the delivery process and
/// restart them: every accepted message still reaches the receiver.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_router_and_delivery_loses_nothing() {
    let settings = test_settings();
    prepare_database(&settings).await;
    let token = CancellationToken::new();
    let ingest = hookd_ingest::Application::build(settings.clone())
        .await
        .unwrap();
    let api = ApiClient::new(
        format!("http://127.0.0.1:{}", ingest.port()),
        Some(ADMIN_KEY),
    );
    let server = tokio::spawn(ingest.run_until_stopped(token.clone()));
    let receiver = Receiver::start().await;

    let app = created(api.post("/api/v1/apps", &json!({"name": "crash"})).await);
    let app_id = app["id"].as_str().unwrap().to_owned();
    created(
        api.post(
            &format!("/api/v1/apps/{app_id}/event_types"),
            &json!({"name": "user.created"}),
        )
        .await,
    );
    let sub = created(
        api.post(
            &format!("/api/v1/apps/{app_id}/subscriptions"),
            &json!({"name": "s"}),
        )
        .await,
    );
    let endpoint = created(
        api.post(
            &format!(
                "/api/v1/subscriptions/{}/endpoints",
                sub["id"].as_str().unwrap()
            ),
            &json!({"url": receiver.url("/crash"), "event_types": ["user.created"]}),
        )
        .await,
    );

    let mut router = spawn_service(&settings, "router");
    let mut delivery = spawn_service(&settings, "delivery");

    let sender = {
        let (api, app_id) = (api.clone(), app_id.clone());
        tokio::spawn(async move {
            let mut accepted = Vec::new();
            for seq in 0..300 {
                let r = api
                    .post(
                        &format!("/api/v1/apps/{app_id}/messages"),
                        &json!({"event_type": "user.created", "data": {"seq": seq}}),
                    )
                    .await;
                assert_eq!(r.status, 202, "{}", r.text);
                accepted.push(r.body["id"].as_str().unwrap().to_owned());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            accepted
        })
    };

    tokio::time::sleep(Duration::from_millis(800)).await;
    kill(&mut router).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    router = spawn_service(&settings, "router");
    tokio::time::sleep(Duration::from_millis(800)).await;
    kill(&mut delivery).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    delivery = spawn_service(&settings, "delivery");

    let accepted: HashSet<String> = sender.await.unwrap().into_iter().collect();
    assert_eq!(accepted.len(), 300);
    let deadline = Instant::now() + Duration::from_secs(90);
    let (missing, duplicates) = loop {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for got in receiver.received_at("/crash") {
            *counts
                .entry(got.header("webhook-id").unwrap_or_default().to_owned())
                .or_default() += 1;
        }
        let missing = accepted
            .iter()
            .filter(|id| !counts.contains_key(*id))
            .count();
        let duplicates: usize = counts.values().map(|c| c - 1).sum();
        if missing == 0 || Instant::now() > deadline {
            break (missing, duplicates);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!("crash test: 300 accepted, {missing} missing, {duplicates} duplicate deliveries");
    assert_eq!(missing, 0, "accepted messages were lost");
    // Each was signed with the endpoint's secret: a child that cannot open it sends nothing.
    let secret = endpoint["secret"].as_str().unwrap();
    for got in receiver.received_at("/crash") {
        let (id, ts) = (
            got.header("webhook-id").unwrap(),
            got.header("webhook-timestamp").unwrap().parse().unwrap(),
        );
        let signature = got.header("webhook-signature").unwrap();
        assert!(
            hookd_signing::verify(secret, id, ts, &got.body, signature),
            "an unverifiable webhook: {signature}"
        );
    }

    kill(&mut router).await;
    kill(&mut delivery).await;
    token.cancel();
    let _ = server.await;
    cleanup(&settings);
}
