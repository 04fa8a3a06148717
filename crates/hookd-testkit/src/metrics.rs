//! Reading values out of a service's Prometheus text, so tests can assert that a counter moved
//! rather than only that it exists.

/// The sum of every series of `name` (all label sets) in Prometheus text format; 0 when absent.
pub fn metric_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let metric = series.split('{').next()?;
            (metric == name).then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

/// `/metrics` of the service listening on `port` of loopback.
pub async fn scrape(port: u16) -> String {
    crate::ApiClient::new(format!("http://127.0.0.1:{port}"), None)
        .get("/metrics")
        .await
        .text
}

#[cfg(test)]
mod tests {
    use super::metric_sum;

    #[test]
    fn sums_every_label_set_of_one_name_only() {
        let text = "# TYPE a_total counter\na_total{x=\"1\"} 2\na_total{x=\"2\"} 3\na_total_other 7\nb 1\n";
        assert_eq!(metric_sum(text, "a_total"), 5.0);
        assert_eq!(metric_sum(text, "b"), 1.0);
        assert_eq!(metric_sum(text, "missing"), 0.0);
    }
}
