//! `/readyz` follows the dependencies: with PostgreSQL or RabbitMQ unreachable (a proxy in
//! front of it cuts every link and refuses new ones) every service answers 503 naming what is
//! down, and 200 again once the link is back.

use crate::helpers::*;
use hookd_config::Secret;
use hookd_testkit::{through, upstream_of, ApiClient, FaultProxy};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
enum Server {
    Postgres,
    RabbitMq,
}

/// Polls `/readyz` of each base until it answers `status` (a request that fails counts as
/// not yet); returns the last bodies.
async fn wait_ready(bases: &[String], status: u16) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut bodies = Vec::new();
    for base in bases {
        let client = ApiClient::new(base.clone(), None);
        loop {
            let seen = match client.try_get("/readyz").await {
                Ok(r) if r.status == status => {
                    bodies.push(r.body);
                    break;
                }
                Ok(r) => format!("{}: {}", r.status, r.text),
                Err(e) => e,
            };
            assert!(
                Instant::now() < deadline,
                "{base}/readyz never answered {status}; last: {seen}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    bodies
}

async fn unreachable(server: Server) {
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
    let bases = [
        stack.base.clone(),
        format!("http://127.0.0.1:{}", stack.router_port),
        format!("http://127.0.0.1:{}", stack.delivery_port),
    ];
    wait_ready(&bases, 200).await;

    proxy.cut();
    let down = wait_ready(&bases, 503).await;
    // Every service names the dependency that is down, the same way.
    let reason = match server {
        Server::Postgres => "database",
        Server::RabbitMq => "broker",
    };
    for body in &down {
        assert_eq!(body["reason"], reason, "{server:?}: {body}");
    }
    for body in &down {
        assert_eq!(body["status"], "unavailable", "{body}");
    }

    proxy.restore();
    wait_ready(&bases, 200).await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readyz_is_503_while_postgres_is_unreachable() {
    unreachable(Server::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn readyz_is_503_while_rabbitmq_is_unreachable() {
    unreachable(Server::RabbitMq).await;
}
