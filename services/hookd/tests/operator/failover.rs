//! `amqp.url` naming several nodes of a RabbitMQ cluster (comma-separated): the services connect
//! to the first that answers and, when their node goes away, reconnect to another. Two proxies
//! in front of the local broker stand in for two nodes (`make chaos-cluster` does it with a
//! real 3-node cluster).

use crate::helpers::*;
use hookd_config::Secret;
use hookd_testkit::{through, upstream_of, FaultProxy};
use serde_json::json;
use std::time::Duration;

/// Sends one message and waits until it arrived at `/failover`.
async fn delivered(stack: &TestStack, f: &Fixture, n: u32) -> bool {
    let r = stack
        .send(f, json!({"event_type": "user.created", "data": {"n": n}}))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    stack
        .receiver
        .wait_for(Duration::from_secs(90), |got| {
            got.iter()
                .any(|g| g.header("webhook-id") == Some(id.as_str()))
        })
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn services_move_to_another_node_when_theirs_goes_away() {
    let broker = test_settings().amqp.url.expose().clone();
    // Declared before the stack, so they outlive it (its clean-up connects through them).
    let node_a = FaultProxy::start(upstream_of(&broker)).await;
    let node_b = FaultProxy::start(upstream_of(&broker)).await;
    let nodes = format!(
        "{},{}",
        through(&broker, node_a.addr()),
        through(&broker, node_b.addr())
    );
    let stack = TestStack::spawn_with(|s| s.amqp.url = Secret::new(nodes)).await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/failover", json!({})).await;

    assert!(delivered(&stack, &f, 1).await, "not delivered on node A");
    assert!(
        node_a.open_links() > 0,
        "nothing connected to the first node"
    );
    assert_eq!(node_b.open_links(), 0, "the second node is only a fallback");

    // Node A dies: publisher and consumers of every service reconnect to node B.
    node_a.cut();
    assert!(
        delivered(&stack, &f, 2).await,
        "not delivered after the first node went away"
    );
    assert!(node_b.open_links() > 0, "nothing moved to the second node");

    // Node A is back and B dies: round the list to A again.
    node_a.restore();
    node_b.cut();
    assert!(
        delivered(&stack, &f, 3).await,
        "not delivered after the second node went away"
    );
    assert!(
        node_a.open_links() > 0,
        "nothing moved back to the first node"
    );
    stack.stop().await;
}
