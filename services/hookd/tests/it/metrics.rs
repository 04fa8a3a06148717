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
