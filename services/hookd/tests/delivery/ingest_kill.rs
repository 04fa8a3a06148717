//! An ingest process that dies right after its commit, before its publish could reach the
//! broker: every message it answered 202 still arrives, sent by the router's outbox relay.

use crate::children::{kill, spawn_service_with};
use crate::helpers::*;
use hookd_config::Secret;
use hookd_testkit::{metric_sum, scrape, through, upstream_of, ApiClient, FaultProxy};
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_ingest_after_its_commit_loses_nothing() {
    // The in-process stack makes the app and endpoint, and its router relays.
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/ingest-kill", json!({})).await;

    // A real ingest process on the same database, its broker link through a proxy.
    let proxy = FaultProxy::start(upstream_of(stack.settings.amqp.url.expose())).await;
    let mut settings = stack.settings.clone();
    settings.amqp.url = Secret::new(through(stack.settings.amqp.url.expose(), proxy.addr()));
    let port = free_port();
    let mut ingest = spawn_service_with(
        &settings,
        "ingest",
        &[
            ("HOOKD__INGEST__LISTEN", format!("127.0.0.1:{port}")),
            ("HOOKD__AUTH__BOOTSTRAP_API_KEY", ADMIN_KEY.to_owned()),
        ],
    );
    let api = ApiClient::new(format!("http://127.0.0.1:{port}"), Some(ADMIN_KEY));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(api.try_get("/readyz").await, Ok(r) if r.status == 200) {
        assert!(
            Instant::now() < deadline,
            "the ingest process did not get ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let relayed_before = metric_sum(
        &scrape(stack.router_port).await,
        "hookd_router_messages_relayed_total",
    );

    // Its broker is gone: what it accepts now is committed and never published by it.
    proxy.cut();
    let mut accepted = HashSet::new();
    for i in 0..20 {
        let r = api
            .post(
                &format!("/api/v1/apps/{}/messages", f.app_id),
                &json!({"event_type": "user.created", "data": {"i": i}}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        accepted.insert(r.body["id"].as_str().unwrap().to_owned());
    }
    kill(&mut ingest).await;

    let arrived = stack
        .receiver
        .wait_for(Duration::from_secs(90), |got| {
            let ids: HashSet<&str> = got.iter().filter_map(|r| r.header("webhook-id")).collect();
            accepted.iter().all(|id| ids.contains(id.as_str()))
        })
        .await;
    assert!(arrived, "messages the killed ingest accepted never arrived");
    // The relay is what sent them: the dead process published none.
    let relayed = metric_sum(
        &scrape(stack.router_port).await,
        "hookd_router_messages_relayed_total",
    ) - relayed_before;
    assert!(
        relayed >= 20.0,
        "the relay published {relayed} messages, not the 20"
    );
    stack.stop().await;
}
