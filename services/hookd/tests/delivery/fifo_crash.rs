//! Ordered delivery under SIGKILL (issue 18): while messages flow to a fifo endpoint (a lane per
//! customer) whose receiver fails now and then, the router and then the delivery process are
//! killed and restarted. Every lane still arrives in send order, at least once, none skipped;
//! an unordered endpoint beside it gets everything too.

use crate::children::{kill, spawn_service};
use crate::fifo::{arrivals, assert_in_order};
use crate::helpers::*;
use hookd_testkit::{ApiClient, Behavior, Receiver};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_router_and_delivery_keeps_every_fifo_lane_in_order() {
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
    receiver.set(
        "/fifo",
        Behavior::FailEvery {
            every: 5,
            status: 500,
        },
    );

    let app = created(
        api.post("/api/v1/apps", &json!({"name": "fifo-crash"}))
            .await,
    );
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
    let endpoints = format!(
        "/api/v1/subscriptions/{}/endpoints",
        sub["id"].as_str().unwrap()
    );
    created(
        api.post(
            &endpoints,
            &json!({"url": receiver.url("/fifo"), "event_types": ["user.created"],
                    "ordering": "fifo", "ordering_key": "customer"}),
        )
        .await,
    );
    created(
        api.post(
            &endpoints,
            &json!({"url": receiver.url("/all"), "event_types": ["user.created"]}),
        )
        .await,
    );

    let mut router = spawn_service(&settings, "router");
    let mut delivery = spawn_service(&settings, "delivery");

    let total = 200;
    let sender = {
        let (api, app_id) = (api.clone(), app_id.clone());
        tokio::spawn(async move {
            let mut want: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for seq in 0..total {
                let customer = ["c1", "c2", "c3", "c4", ""][seq as usize % 5];
                let data = if customer.is_empty() {
                    json!({"seq": seq})
                } else {
                    json!({"seq": seq, "customer": customer})
                };
                let r = api
                    .post(
                        &format!("/api/v1/apps/{app_id}/messages"),
                        &json!({"event_type": "user.created", "data": data}),
                    )
                    .await;
                assert_eq!(r.status, 202, "{}", r.text);
                want.entry(customer.to_owned()).or_default().push(seq);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            want
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

    let want = sender.await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let complete = |got: &BTreeMap<String, Vec<i64>>| {
        want.iter().all(|(key, seqs)| {
            got.get(key)
                .is_some_and(|g| seqs.iter().all(|s| g.contains(s)))
        })
    };
    let all_seqs = || -> std::collections::HashSet<i64> {
        receiver
            .received_at("/all")
            .iter()
            .filter_map(|r| r.json()["data"]["seq"].as_i64())
            .collect()
    };
    let got = loop {
        let got = arrivals(&receiver.received(), "/fifo");
        let done = complete(&got) && all_seqs().len() == total as usize;
        if done || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let requests: usize = got.values().map(Vec::len).sum();
    println!("fifo crash test: {total} accepted, {requests} requests to the fifo endpoint");
    assert_in_order(&got, &want);
    assert_eq!(
        all_seqs().len(),
        total as usize,
        "the unordered endpoint lost messages"
    );

    kill(&mut router).await;
    kill(&mut delivery).await;
    token.cancel();
    let _ = server.await;
    cleanup(&settings);
}
