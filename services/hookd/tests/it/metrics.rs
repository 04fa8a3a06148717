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
    stack.stop().await;
}
