//! Endpoint secrets and custom headers never ride the broker; a webhook that cannot be signed
//! is never sent (issue 14, items 3 and 12).

use crate::helpers::*;
use hookd_bus::envelopes::DeliveryJob;
use hookd_testkit::{ApiClient, Behavior};
use lapin::options::BasicGetOptions;
use prost::Message as _;
use serde_json::json;
use std::time::{Duration, Instant};

async fn drain(ch: &lapin::Channel, queue: &str) -> Vec<Vec<u8>> {
    let mut got = Vec::new();
    while let Some(m) = ch
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
    {
        got.push(m.delivery.data.clone());
    }
    got
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delivery_jobs_on_the_broker_carry_no_secret_and_no_custom_header() {
    let stack = TestStack::spawn().await;
    let (_conn, ch, queue) = stack.tap_deliveries().await;
    let f = stack.fixture().await;
    // The first try fails, so a second job comes from the retry scheduler: both builders.
    stack.receiver.set(
        "/tapped",
        Behavior::FailFirst {
            times: 1,
            status: 500,
        },
    );
    let token = format!("tok-{}", uuid::Uuid::new_v4());
    let e = stack
        .endpoint(&f, "/tapped", json!({"headers": {"x-api-token": token}}))
        .await;
    let secret = e["secret"].as_str().unwrap().to_owned();
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await
        .body;
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |r| r.len() >= 2)
            .await,
        "no retry arrived"
    );
    let mut jobs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while jobs.len() < 2 {
        assert!(Instant::now() < deadline, "the tap got {} jobs", jobs.len());
        jobs.extend(drain(&ch, &queue).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for bytes in &jobs {
        let job = DeliveryJob::decode(bytes.as_slice()).expect("a delivery job");
        assert_eq!(job.message_id, m["id"].as_str().unwrap());
        assert!(!contains(bytes, &secret), "the secret rides the broker");
        assert!(
            !contains(bytes, &secret["whsec_".len()..]),
            "the secret's key rides the broker"
        );
        assert!(!contains(bytes, &token), "a custom header rides the broker");
    }
    assert!(jobs
        .iter()
        .any(|b| DeliveryJob::decode(b.as_slice()).unwrap().attempt == 2));
    // The worker opened both itself: the header arrived and the signature verifies.
    for got in stack.receiver.received_at("/tapped") {
        assert_eq!(got.header("x-api-token"), Some(token.as_str()));
        let ts: i64 = got.header("webhook-timestamp").unwrap().parse().unwrap();
        assert!(hookd_signing::verify(
            &secret,
            m["id"].as_str().unwrap(),
            ts,
            &got.body,
            got.header("webhook-signature").unwrap()
        ));
    }
    stack.stop().await;
}

/// A secret sealed under a key the delivery worker does not have: every try is a failed
/// attempt that says so and is counted, and no request reaches the receiver.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_secret_that_cannot_be_opened_fails_the_attempt_and_sends_nothing() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let e = stack.endpoint(&f, "/unsignable", json!({})).await;
    let other =
        hookd_signing::SecretCipher::new(Some("b3RoZXItZW5jcnlwdGlvbi1rZXktMzItYnl0ZXMtb2s="))
            .unwrap();
    stack
        .db()
        .await
        .execute(
            "UPDATE endpoints SET secret = $2, updated_at = now() WHERE id = $1::text::uuid",
            &[
                &e["id"].as_str().unwrap(),
                &other.seal(&hookd_signing::generate_secret()),
            ],
        )
        .await
        .unwrap();
    let id: uuid::Uuid = e["id"].as_str().unwrap().parse().unwrap();
    let revision = e["updated_at"].as_str().unwrap().to_owned();
    stack
        .wait_view(|v| {
            v.endpoint(id)
                .is_some_and(|r| r.revision > parse_micros(&revision))
        })
        .await;
    let m = stack
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await
        .body;
    let deliveries = format!("/api/v1/messages/{}/deliveries", m["id"].as_str().unwrap());
    let listed = stack
        .eventually(&deliveries, Duration::from_secs(15), |b| {
            b["models"][0]["status"] == "failed"
        })
        .await;
    let delivery = listed["models"][0]["id"].as_str().unwrap();
    let attempts = stack
        .api
        .get(&format!("/api/v1/deliveries/{delivery}/attempts"))
        .await
        .body;
    let attempts = attempts["models"].as_array().unwrap();
    assert_eq!(attempts.len(), stack.settings.max_attempts() as usize);
    for a in attempts {
        assert_eq!(a["response_status"], json!(null), "{a}");
        let error = a["error"].as_str().unwrap();
        assert!(error.contains("signing secret cannot be opened"), "{error}");
    }
    assert!(
        stack.receiver.received_at("/unsignable").is_empty(),
        "an unsigned webhook was sent"
    );
    let metrics = ApiClient::new(format!("http://127.0.0.1:{}", stack.delivery_port), None)
        .get("/metrics")
        .await
        .text;
    let refused = metrics
        .lines()
        .find_map(|l| l.strip_prefix("hookd_delivery_unsigned_refused_total "))
        .expect("the metric is exported");
    assert_eq!(
        refused.trim().parse::<u64>().unwrap(),
        stack.settings.max_attempts() as u64
    );
    stack.stop().await;
}

fn parse_micros(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .timestamp_micros()
}
