//! A 202 survives losing PostgreSQL or RabbitMQ: a proxy between the services and each server
//! cuts every link right after the messages are accepted (and refuses new ones) for a while,
//! then restores it; every accepted message still arrives.

use crate::helpers::*;
use hookd_config::Secret;
use hookd_testkit::{through, upstream_of, FaultProxy};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

/// Which server the proxy stands before.
#[derive(Clone, Copy)]
enum Server {
    Postgres,
    RabbitMq,
}

async fn cut_after_accepting(server: Server) {
    let base = test_settings();
    let upstream = match server {
        Server::Postgres => upstream_of(base.database.url.expose()),
        Server::RabbitMq => upstream_of(base.amqp.url.expose()),
    };
    let proxy = FaultProxy::start(upstream).await;
    let stack = TestStack::spawn_with(|s| match server {
        Server::Postgres => {
            s.database.url = Secret::new(through(s.database.url.expose(), proxy.addr()))
        }
        Server::RabbitMq => s.amqp.url = Secret::new(through(s.amqp.url.expose(), proxy.addr())),
    })
    .await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/faults", json!({})).await;
    let mut accepted = HashSet::new();
    for i in 0..20 {
        let r = stack
            .send(&f, json!({"event_type": "user.created", "data": {"i": i}}))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        accepted.insert(r.body["id"].as_str().unwrap().to_owned());
    }
    assert!(
        proxy.open_links() > 0,
        "the services talk through the proxy"
    );
    proxy.cut();
    // While the link is down, a send is either accepted (and must arrive) or refused clearly.
    for i in 20..30 {
        let r = stack
            .send(&f, json!({"event_type": "user.created", "data": {"i": i}}))
            .await;
        match r.status {
            202 => {
                accepted.insert(r.body["id"].as_str().unwrap().to_owned());
            }
            503 => assert_error(&r, 503),
            other => panic!("a send during the cut answered {other}: {}", r.text),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.restore();
    let arrived = stack
        .receiver
        .wait_for(Duration::from_secs(90), |got| {
            let ids: HashSet<&str> = got.iter().filter_map(|r| r.header("webhook-id")).collect();
            accepted.iter().all(|id| ids.contains(id.as_str()))
        })
        .await;
    let got: HashSet<String> = stack
        .receiver
        .received_at("/faults")
        .iter()
        .filter_map(|r| r.header("webhook-id").map(str::to_owned))
        .collect();
    let missing: Vec<_> = accepted.difference(&got).collect();
    assert!(
        arrived,
        "{} accepted messages never arrived: {missing:?}",
        missing.len()
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losing_postgres_after_a_202_loses_nothing() {
    cut_after_accepting(Server::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn losing_rabbitmq_after_a_202_loses_nothing() {
    cut_after_accepting(Server::RabbitMq).await;
}
