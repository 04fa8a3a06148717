use crate::helpers::*;

/// Every metric the Grafana dashboard and the alert rules use (deploy/metrics.txt, checked
/// against them by deploy/check.py) is exported by a running service.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_metric_the_dashboard_and_alerts_use_is_exported() {
    let stack = TestStack::spawn().await;
    let mut exported = String::new();
    for port in [
        stack
            .base
            .rsplit(':')
            .next()
            .unwrap()
            .parse::<u16>()
            .unwrap(),
        stack.router_port,
        stack.delivery_port,
    ] {
        let client = hookd_testkit::ApiClient::new(format!("http://127.0.0.1:{port}"), None);
        exported.push_str(&client.get("/metrics").await.text);
    }
    let wanted = include_str!("../../../../deploy/metrics.txt");
    let missing: Vec<&str> = wanted
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|name| {
            !exported
                .lines()
                .any(|l| l.starts_with(&format!("# TYPE {name} ")))
        })
        .collect();
    assert!(missing.is_empty(), "metrics not exported: {missing:?}");
    // Labelled series exist before their first event.
    assert!(exported.contains("hookd_delivery_attempts_total{outcome=\"failure\"} 0"));

    // And the values move with what happens: one message sent and delivered.
    let f = stack.fixture().await;
    stack.endpoint(&f, "/metered", serde_json::json!({})).await;
    assert_eq!(
        stack
            .send(
                &f,
                serde_json::json!({"event_type": "user.created", "data": {}})
            )
            .await
            .status,
        202
    );
    assert!(
        stack
            .receiver
            .wait_for(std::time::Duration::from_secs(20), |r| !r.is_empty())
            .await
    );
    let ingest_port = stack
        .base
        .rsplit(':')
        .next()
        .unwrap()
        .parse::<u16>()
        .unwrap();
    let wanted = [
        (ingest_port, "hookd_ingest_messages_accepted_total"),
        (stack.router_port, "hookd_router_messages_routed_total"),
        (stack.delivery_port, "hookd_delivery_attempts_total"),
        (
            stack.delivery_port,
            "hookd_delivery_end_to_end_seconds_count",
        ),
    ];
    for (port, name) in wanted {
        // Recorded just after the receiver answered: wait for it, bounded.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let value = hookd_testkit::metric_sum(&hookd_testkit::scrape(port).await, name);
            if value >= 1.0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{name} stayed at {value}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    stack.stop().await;
}

/// The value of `name{hop="<hop>"}` in Prometheus text, when exported.
fn hop_value(text: &str, name: &str, hop: &str) -> Option<f64> {
    let prefix = format!("{name}{{hop=\"{hop}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}

/// One message end to end fills every hop of `hookd_hop_seconds` once, across the router and
/// the delivery worker, and the hops that follow each other add up to no more than its
/// end-to-end latency (they are cut from one chain of timestamps).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_message_fills_every_hop_once() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/hops", serde_json::json!({})).await;
    let sent = stack
        .send(
            &f,
            serde_json::json!({"event_type": "user.created", "data": {}}),
        )
        .await;
    assert_eq!(sent.status, 202);
    assert!(
        stack
            .receiver
            .wait_for(std::time::Duration::from_secs(20), |r| !r.is_empty())
            .await
    );
    let router = ["to_router", "fanout", "publish"];
    let delivery = ["to_delivery", "before_try", "try", "record"];
    // The last hop is recorded just after the receiver answered: wait for it, bounded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (router_text, delivery_text) = loop {
        let r = hookd_testkit::scrape(stack.router_port).await;
        let d = hookd_testkit::scrape(stack.delivery_port).await;
        if hop_value(&d, "hookd_hop_seconds_count", "record") == Some(1.0) {
            break (r, d);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the record hop stayed empty:\n{d}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    for (text, hops) in [(&router_text, &router[..]), (&delivery_text, &delivery[..])] {
        for hop in hops {
            assert_eq!(
                hop_value(text, "hookd_hop_seconds_count", hop),
                Some(1.0),
                "hop {hop}:\n{text}"
            );
        }
    }
    // Each service exports only its own hops.
    assert_eq!(
        hop_value(&router_text, "hookd_hop_seconds_count", "try"),
        None
    );
    assert_eq!(
        hop_value(&delivery_text, "hookd_hop_seconds_count", "fanout"),
        None
    );
    let sum = |text: &str, hop: &str| hop_value(text, "hookd_hop_seconds_sum", hop).unwrap();
    let chain = sum(&router_text, "to_router")
        + sum(&router_text, "fanout")
        + sum(&delivery_text, "to_delivery")
        + sum(&delivery_text, "before_try")
        + sum(&delivery_text, "try");
    let e2e = hookd_testkit::metric_sum(&delivery_text, "hookd_delivery_end_to_end_seconds_sum");
    assert!(chain > 0.0, "hops sum to {chain}");
    assert!(
        chain <= e2e + 1e-9,
        "hops {chain} s exceed the end-to-end {e2e} s"
    );
    stack.stop().await;
}
