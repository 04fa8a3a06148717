//! A delivery job that the broker hands out again because its first consumer's link died
//! before the ack (a RabbitMQ node lost under it, say) is not sent a second time when its try
//! is already recorded.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redelivered_job_whose_try_is_recorded_is_not_sent_again() {
    let mut first = TestStack::spawn().await;
    let topology = hookd_bus::Topology::new(first.settings.amqp.prefix.clone());
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
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if attempts_of(&db, message_id).await == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the first try was not recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.stop_services().await;
    let job = ch
        .basic_get(tap.as_str().into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
        .expect("the job the router published")
        .delivery
        .data
        .clone();

    // The same job in the workers' queue, handed out once and put back unacked: the broker
    // marks it redelivered, as it does for the jobs of a consumer whose link died.
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

    // A delivery worker (in a new stack on the same database and broker) gets it redelivered.
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
    assert_eq!(
        first.receiver.received_at("/redelivered").len(),
        1,
        "the webhook went out twice"
    );
    assert_eq!(attempts_of(&db, message_id).await, 1);
    let _ = conn.close(200, "done".into()).await;
    second.stop().await;
}
