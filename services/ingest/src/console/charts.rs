//! Server-drawn SVG charts: no script, no inline style (CSP), an accessible name each, and
//! the numbers also in a table beside them.

use crate::routes::stats::StatsBucket;
use maud::{html, Markup};

const W: f64 = 480.0;
const H: f64 = 160.0;
const PAD: f64 = 24.0;

fn label(b: &StatsBucket, bucket_seconds: i64) -> String {
    if bucket_seconds >= 3600 {
        b.start.format("%H:00").to_string()
    } else {
        b.start.format("%H:%M").to_string()
    }
}

fn axis(buckets: &[StatsBucket], bucket_seconds: i64) -> Markup {
    let step = (W - 2.0 * PAD) / buckets.len().max(1) as f64;
    let every = (buckets.len() / 6).max(1);
    html! {
        line.axis x1=(PAD) y1=(H - PAD) x2=(W - PAD) y2=(H - PAD) {}
        @for (i, b) in buckets.iter().enumerate() {
            @if i % every == 0 {
                text x=(format!("{:.1}", PAD + step * i as f64)) y=(H - 8.0) { (label(b, bucket_seconds)) }
            }
        }
    }
}

/// Bars of the success rate per bucket (a bucket without attempts has no bar).
pub fn success_rate(buckets: &[StatsBucket], bucket_seconds: i64, summary: &str) -> Markup {
    let step = (W - 2.0 * PAD) / buckets.len().max(1) as f64;
    let plot = H - 2.0 * PAD;
    html! {
        svg.chart role="img" viewBox={"0 0 " (W) " " (H)} aria-labelledby="chart-rate-title" {
            title #chart-rate-title { "Success rate" }
            desc { (summary) }
            text x=(PAD) y="14" { "100%" }
            @for (i, b) in buckets.iter().enumerate() {
                @if b.attempts > 0 {
                    @let rate = b.succeeded as f64 / b.attempts as f64;
                    @let h = (plot * rate).max(2.0);
                    rect class={"bar" @if rate < 0.95 { " bad" }}
                        x=(format!("{:.1}", PAD + step * i as f64 + 1.0))
                        y=(format!("{:.1}", H - PAD - h))
                        width=(format!("{:.1}", (step - 2.0).max(1.0)))
                        height=(format!("{:.1}", h)) {}
                }
            }
            (axis(buckets, bucket_seconds))
        }
    }
}

/// Lines of the p50 and p95 latency per bucket.
pub fn latency(buckets: &[StatsBucket], bucket_seconds: i64, summary: &str) -> Markup {
    let step = (W - 2.0 * PAD) / buckets.len().max(1) as f64;
    let plot = H - 2.0 * PAD;
    let top = buckets
        .iter()
        .filter_map(|b| b.p95_ms)
        .fold(1.0_f64, f64::max);
    let coords = |pick: fn(&StatsBucket) -> Option<f64>| -> Vec<(f64, f64)> {
        buckets
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                pick(b).map(|v| (PAD + step * (i as f64 + 0.5), H - PAD - plot * (v / top)))
            })
            .collect()
    };
    let (p50, p95) = (coords(|b| b.p50_ms), coords(|b| b.p95_ms));
    let line = |points: &[(f64, f64)]| -> String {
        points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    html! {
        svg.chart role="img" viewBox={"0 0 " (W) " " (H)} aria-labelledby="chart-latency-title" {
            title #chart-latency-title { "Latency" }
            desc { (summary) }
            text x=(PAD) y="14" { (format!("{top:.0} ms")) }
            polyline class="line p95" points=(line(&p95)) {}
            polyline.line points=(line(&p50)) {}
            // A lone bucket draws no line: its dots still show.
            @for (x, y) in &p95 { circle class="dot p95" cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="3" {} }
            @for (x, y) in &p50 { circle.dot cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="3" {} }
            text.legend x=(W - PAD - 90.0) y="14" { "p50" }
            text class="legend p95" x=(W - PAD - 50.0) y="14" { "p95" }
            (axis(buckets, bucket_seconds))
        }
    }
}

pub fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.0} ms"))
}

pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// The charts and, for those who cannot see them, the same numbers in a table.
pub fn figures(stats: &crate::routes::stats::Stats) -> Markup {
    let t = &stats.totals;
    let summary = format!(
        "{} attempts, {} succeeded, success rate {}, p50 {}, p95 {}",
        t.attempts,
        t.succeeded,
        percent(t.success_rate),
        ms(t.p50_ms),
        ms(t.p95_ms)
    );
    html! {
        p { (summary) }
        div.charts {
            (success_rate(&stats.buckets, stats.bucket_seconds, &summary))
            (latency(&stats.buckets, stats.bucket_seconds, &summary))
        }
        details {
            summary { "The numbers by time" }
            div.table-wrap {
                table {
                    caption { "By time" }
                    thead { tr {
                        th scope="col" { "From" } th scope="col" { "Attempts" }
                        th scope="col" { "Success rate" } th scope="col" { "Latency p50" }
                        th scope="col" { "Latency p95" }
                    } }
                    tbody {
                        @for b in &stats.buckets {
                            tr {
                                td { (b.start.format("%Y-%m-%d %H:%M UTC")) }
                                td { (b.attempts) }
                                td { (percent((b.attempts > 0).then(|| b.succeeded as f64 / b.attempts as f64))) }
                                td { (ms(b.p50_ms)) }
                                td { (ms(b.p95_ms)) }
                            }
                        }
                    }
                }
            }
        }
    }
}
