//! A delivery job that the broker hands out again because its first consumer's link died
//! before the ack (a RabbitMQ node lost under it, say) is not sent a second time when its try
//! is already recorded: a message's delivery job, and a gateway event's.

use crate::helpers::*;
use hookd_testkit::{metric_sum, scrape};
use lapin::options::{
    BasicGetOptions, BasicNackOptions, BasicPublishOptions, ConfirmSelectOptions,
};
use lapin::BasicProperties;
use serde_json::json;
use std::time::{Duration, Instant};

/// Tries recorded for the message.
async fn attempts_of(db: &hookd_db::Client, message_id: uuid::Uuid) -> i64 {
    db.query_one(
        "SELECT count(*) FROM attempts WHERE message_id = $1",
        &[&message_id],
    )
    .await
    .unwrap()
    .get(0)
}

/// Tries of gateway events recorded (the test's database holds one request's).
async fn gateway_attempts(db: &hookd_db::Client) -> i64 {
    db.query_one("SELECT count(*) FROM gw_attempts", &[])
        .await
        .unwrap()
        .get(0)
}

/// Waits until `count` says the first try is recorded.
async fn until_one<F: std::future::Future<Output = i64>>(count: impl Fn() -> F) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while count().await != 1 {
        assert!(Instant::now() < deadline, "the first try was not recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Stops `first`'s services, then puts the job they published (the tap's first) back in the
/// workers' queue, handed out once and returned unacked: the broker marks it redelivered, as
/// it does for the jobs of a consumer whose link died. A delivery worker of a new stack on
/// the same database and broker then gets it; returns that stack once the worker has
/// recognised the job as already tried.
async fn hand_out_again(first: &mut TestStack, ch: &lapin::Channel, tap: &str) -> TestStack {
    let topology = hookd_bus::Topology::new(first.settings.amqp.prefix.clone());
    first.stop_services().await;
    let job = ch
        .basic_get(tap.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
        .expect("the job the router published")
        .delivery
        .data
        .clone();
    let queue = topology.queue(hookd_bus::Route::Deliveries);
    // Confirmed, so the queue holds it before the get below.
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    ch.basic_publish(
        topology.exchange().as_str().into(),
        hookd_bus::Route::Deliveries.routing_key().into(),
        BasicPublishOptions::default(),
        &job,
        BasicProperties::default().with_delivery_mode(2),
    )
    .await
    .unwrap()
    .await
    .unwrap()
    .is_ack()
    .then_some(())
    .expect("the broker took the job");
    let taken = ch
        .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false })
        .await
        .unwrap()
        .expect("the job in the workers' queue");
    assert!(!taken.delivery.redelivered);
    taken
        .delivery
        .acker
        .nack(BasicNackOptions {
            requeue: true,
            ..Default::default()
        })
        .await
        .unwrap();

    let second = TestStack::spawn_on(first.settings.clone()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric_sum(
        &scrape(second.delivery_port).await,
        "hookd_delivery_redelivered_skipped_total",
    ) < 1.0
    {
        assert!(
            Instant::now() < deadline,
            "the redelivered job was not recognised as already tried"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redelivered_job_whose_try_is_recorded_is_not_sent_again() {
    let mut first = TestStack::spawn().await;
    // A copy of every job published, to hand the real one out again later.
    let (conn, ch, tap) = first.tap_deliveries().await;

    let f = first.fixture().await;
    first.endpoint(&f, "/redelivered", json!({})).await;
    let m = first
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await;
    assert_eq!(m.status, 202, "{}", m.text);
    let message_id: uuid::Uuid = m.body["id"].as_str().unwrap().parse().unwrap();
    let db = first.db().await;
    until_one(|| attempts_of(&db, message_id)).await;

    let second = hand_out_again(&mut first, &ch, &tap).await;
    assert_eq!(
        first.receiver.received_at("/redelivered").len(),
        1,
        "the webhook went out twice"
    );
    assert_eq!(attempts_of(&db, message_id).await, 1);
    let _ = conn.close(200, "done".into()).await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redelivered_gateway_job_already_answered_is_not_sent_again() {
    let mut first = TestStack::spawn().await;
    let (conn, ch, tap) = first.tap_deliveries().await;

    let connection = first
        .api
        .raw(
            "POST",
            "/2024-03-01/connections",
            Some(
                json!({"name": "redelivered", "source": {"name": "redelivered-src"},
                    "destination": {"name": "redelivered-dst",
                        "url": first.receiver.url("/gw-redelivered")}})
                .to_string()
                .into(),
            ),
            &[],
        )
        .await;
    assert_eq!(connection.status, 200, "{}", connection.text);
    let source_url = connection.body["source"]["url"]
        .as_str()
        .expect("source url");
    let inbound = first
        .api
        .with_key(None)
        .raw(
            "POST",
            source_url
                .strip_prefix(&first.base)
                .expect("a URL of this stack"),
            Some(b"{\"n\":1}".to_vec().into()),
            &[],
        )
        .await;
    assert_eq!(inbound.status, 200, "{}", inbound.text);
    let db = first.db().await;
    until_one(|| gateway_attempts(&db)).await;

    let second = hand_out_again(&mut first, &ch, &tap).await;
    assert_eq!(
        first.receiver.received_at("/gw-redelivered").len(),
        1,
        "the event went out twice"
    );
    assert_eq!(gateway_attempts(&db).await, 1);
    let _ = conn.close(200, "done".into()).await;
    second.stop().await;
}
