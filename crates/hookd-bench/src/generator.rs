//! The load generator: POSTs messages whose `data` carries a sequence number `seq` and the send
//! time `sent_at_us` (keyed fifo scenarios add an ordering key value, [`KEY_FIELD`]), over one
//! keep-alive pooled hyper client, either closed loop (a fixed number of requests in flight) or
//! open loop (a fixed rate, whatever the answers).
//!
//! Results live in one slot per sequence number (atomics), so the senders share no lock.

use crate::stats::unix_micros;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// A request that has not completed after this long counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// An open-loop send that starts this much after its slot counts as late.
const LATE_AFTER: Duration = Duration::from_millis(5);
/// Status slot of a request that failed without an answer (connection error, timeout).
const NO_ANSWER: u16 = 1;

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct Target {
    /// Full URL, such as `http://127.0.0.1:18080/api/v1/apps/<id>/messages`.
    pub url: String,
    /// Sent as `Authorization: Bearer <key>` when set.
    pub api_key: Option<String>,
    pub event_type: String,
    /// `Some(n)`: `data` also carries [`KEY_FIELD`] = `seq % n` (S2OK's ordering key), so
    /// message `seq` goes in lane `seq % n`. `None`: no such field.
    pub key_values: Option<u64>,
}

/// The field of `data` that keyed scenarios give their fifo endpoint as `ordering_key`.
pub const KEY_FIELD: &str = "customer";

/// How much load, and how it is paced.
#[derive(Debug, Clone, Copy)]
pub enum Load {
    /// `count` requests, `concurrency` in flight at all times.
    Closed { count: u64, concurrency: usize },
    /// `rate` requests per second for `duration`, at most `max_in_flight` outstanding (a send
    /// that finds none free waits and counts as late).
    Open {
        rate: f64,
        duration: Duration,
        max_in_flight: usize,
    },
}

impl Load {
    /// How many sequence numbers this load uses (`0..count`).
    pub fn count(&self) -> u64 {
        match *self {
            Load::Closed { count, .. } => count,
            Load::Open { rate, duration, .. } => (rate * duration.as_secs_f64()).round() as u64,
        }
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Default)]
pub struct GenReport {
    pub sent: u64,
    /// `accepted[seq]`: the answer was 2xx.
    pub accepted: Vec<bool>,
    pub accepted_count: u64,
    /// Answers by status; requests without an answer are counted in `errors`.
    pub statuses: BTreeMap<u16, u64>,
    pub errors: u64,
    /// Latency of each 2xx-answered request, microseconds.
    pub latencies_us: Vec<u64>,
    /// `sent_us[seq]`: when the request went, microseconds after the first send.
    pub sent_us: Vec<u64>,
    /// `acknowledged_us[seq]`: when its 2xx came, on the same clock (`None`: no 2xx). With
    /// `sent_us`, which sends overlapped: hookd orders a lane by acceptance only for a client
    /// that waits for each 202 (docs/design-notes.md, ordered delivery).
    pub acknowledged_us: Vec<Option<u64>>,
    /// Open loop: sends that started more than 5 ms after their slot.
    pub late: u64,
    pub started_at_us: u64,
    /// From the first send to the last answer.
    pub elapsed: Duration,
}

/// The generator: one pooled client, reused for every run.
#[derive(Clone)]
pub struct Generator {
    client: Client<HttpConnector, Full<Bytes>>,
}

struct Slots {
    start: Instant,
    status: Box<[AtomicU16]>,
    sent_us: Box<[AtomicU64]>,
    latency_us: Box<[AtomicU64]>,
}

impl Generator {
    /// `pool` idle connections are kept per host (set it to the concurrency).
    pub fn new(pool: usize) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool)
            // Below actix-web's 5 s keep-alive, so the client retires an idle connection before
            // the server closes it under a request in flight.
            .pool_idle_timeout(Duration::from_secs(4))
            .build(connector);
        Self { client }
    }

    /// The JSON body of message `seq`, stamped with the current time; with `key_values`, its
    /// `data` also carries the key value `seq % key_values`.
    pub fn body(event_type: &str, seq: u64, key_values: Option<u64>) -> String {
        let key = match key_values {
            Some(n) => format!(r#","{KEY_FIELD}":{}"#, seq % n.max(1)),
            None => String::new(),
        };
        format!(
            r#"{{"event_type":"{event_type}","version":"1.0","data":{{"seq":{seq},"sent_at_us":{}{key}}}}}"#,
            unix_micros()
        )
    }

    /// One POST; `Some(status)` or `None` without an answer in time.
    pub async fn post(&self, target: &Target, body: String) -> Option<u16> {
        let mut req = http::Request::post(&target.url).header("content-type", "application/json");
        if let Some(key) = &target.api_key {
            req = req.header("authorization", format!("Bearer {key}"));
        }
        let req = req.body(Full::new(Bytes::from(body))).ok()?;
        let call = async {
            let response = self.client.request(req).await.ok()?;
            let status = response.status().as_u16();
            // Read the body so the connection goes back to the pool.
            response.into_body().collect().await.ok()?;
            Some(status)
        };
        tokio::time::timeout(REQUEST_TIMEOUT, call).await.ok()?
    }

    /// One GET; `Some(status)` or `None` without an answer in time.
    pub async fn get(&self, url: &str) -> Option<u16> {
        self.fetch(url).await.map(|(status, _)| status)
    }

    /// One GET with its body.
    pub async fn fetch(&self, url: &str) -> Option<(u16, Bytes)> {
        let req = http::Request::get(url).body(Full::default()).ok()?;
        let call = async {
            let response = self.client.request(req).await.ok()?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.ok()?.to_bytes();
            Some((status, body))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, call).await.ok()?
    }

    /// A message marked `warmup` (the receiver counts it apart): opens connections and shows
    /// that every endpoint is routed before the measured load.
    pub async fn warmup(&self, target: &Target) -> Option<u16> {
        let body = format!(
            r#"{{"event_type":"{}","version":"1.0","data":{{"warmup":true}}}}"#,
            target.event_type
        );
        self.post(target, body).await
    }

    /// Sends the load to the target and waits for every answer.
    pub async fn run(&self, target: &Target, load: Load) -> GenReport {
        let count = load.count();
        let started_at_us = unix_micros();
        let start = Instant::now();
        let slots = Arc::new(Slots {
            start,
            status: (0..count).map(|_| AtomicU16::new(0)).collect(),
            sent_us: (0..count).map(|_| AtomicU64::new(0)).collect(),
            latency_us: (0..count).map(|_| AtomicU64::new(0)).collect(),
        });
        let mut late = 0;
        match load {
            Load::Closed { concurrency, .. } => {
                let next = Arc::new(AtomicU64::new(0));
                let workers: Vec<_> = (0..concurrency.max(1))
                    .map(|_| {
                        let (this, target, slots, next) =
                            (self.clone(), target.clone(), slots.clone(), next.clone());
                        tokio::spawn(async move {
                            loop {
                                let seq = next.fetch_add(1, Relaxed);
                                if seq >= count {
                                    break;
                                }
                                this.send_into(&target, seq, &slots).await;
                            }
                        })
                    })
                    .collect();
                for w in workers {
                    let _ = w.await;
                }
            }
            Load::Open {
                rate,
                max_in_flight,
                ..
            } => {
                let max_in_flight = max_in_flight.max(1);
                let permits = Arc::new(Semaphore::new(max_in_flight));
                let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
                for seq in 0..count {
                    let slot = start + interval.mul_f64(seq as f64);
                    tokio::time::sleep_until(slot.into()).await;
                    let Ok(permit) = permits.clone().acquire_owned().await else {
                        break;
                    };
                    if slot.elapsed() > LATE_AFTER {
                        late += 1;
                    }
                    let (this, target, slots) = (self.clone(), target.clone(), slots.clone());
                    tokio::spawn(async move {
                        this.send_into(&target, seq, &slots).await;
                        drop(permit);
                    });
                }
                // Every permit back: every request answered or timed out.
                let _ = permits.acquire_many(max_in_flight as u32).await;
            }
        }
        let elapsed = start.elapsed();
        let mut report = GenReport {
            sent: count,
            late,
            started_at_us,
            elapsed,
            ..Default::default()
        };
        for seq in 0..count as usize {
            let status = slots.status[seq].load(Relaxed);
            let ok = (200..300).contains(&status);
            report.accepted.push(ok);
            let sent = slots.sent_us[seq].load(Relaxed);
            report.sent_us.push(sent);
            report
                .acknowledged_us
                .push(ok.then(|| sent + slots.latency_us[seq].load(Relaxed)));
            match status {
                0 | NO_ANSWER => report.errors += 1,
                s => *report.statuses.entry(s).or_default() += 1,
            }
            if ok {
                report.accepted_count += 1;
                report
                    .latencies_us
                    .push(slots.latency_us[seq].load(Relaxed));
            }
        }
        report
    }

    async fn send_into(&self, target: &Target, seq: u64, slots: &Slots) {
        let body = Self::body(&target.event_type, seq, target.key_values);
        let t = Instant::now();
        let i = seq as usize;
        slots.sent_us[i].store(t.duration_since(slots.start).as_micros() as u64, Relaxed);
        let status = self.post(target, body).await;
        slots.latency_us[i].store(t.elapsed().as_micros() as u64, Relaxed);
        slots.status[i].store(status.unwrap_or(NO_ANSWER), Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::receiver::{Behavior, EndpointSpec, Receiver};

    fn target(r: &Receiver, path: &str) -> Target {
        Target {
            url: r.url(path),
            api_key: Some("k".into()),
            event_type: "bench.event".into(),
            key_values: None,
        }
    }

    #[tokio::test]
    async fn closed_loop_sends_each_sequence_number_once() {
        let r = Receiver::start(&[EndpointSpec {
            path: "/l".into(),
            behavior: Behavior::Ok,
            capacity: 300,
        }])
        .await
        .unwrap();
        let g = Generator::new(8);
        let load = Load::Closed {
            count: 300,
            concurrency: 8,
        };
        let rep = g.run(&target(&r, "/l"), load).await;
        assert_eq!(rep.sent, 300);
        assert_eq!(rep.accepted_count, 300);
        assert_eq!(rep.statuses.get(&200), Some(&300));
        assert_eq!(rep.latencies_us.len(), 300);
        let seen = r.report("/l", &rep.accepted);
        assert_eq!((seen.delivered, seen.missing, seen.duplicates), (300, 0, 0));
    }

    #[tokio::test]
    async fn open_loop_sends_rate_times_duration_and_counts_rejections() {
        let r = Receiver::start(&[]).await.unwrap();
        let g = Generator::new(4);
        let load = Load::Open {
            rate: 200.0,
            duration: Duration::from_millis(250),
            max_in_flight: 16,
        };
        assert_eq!(load.count(), 50);
        // The receiver has no such path: every answer is 404, none accepted.
        let rep = g.run(&target(&r, "/none"), load).await;
        assert_eq!(rep.sent, 50);
        assert_eq!(rep.accepted_count, 0);
        assert_eq!(rep.statuses.get(&404), Some(&50));
        assert!(rep.elapsed >= Duration::from_millis(240));
        assert_eq!(r.unknown_path(), 50);
    }

    #[test]
    fn body_carries_seq_and_send_time() {
        let before = unix_micros();
        let body: serde_json::Value =
            serde_json::from_str(&Generator::body("user.created", 42, None)).unwrap();
        assert_eq!(body["event_type"], "user.created");
        assert_eq!(body["data"]["seq"], 42);
        assert!(body["data"]["sent_at_us"].as_u64().unwrap() >= before);
        assert_eq!(
            body["data"].as_object().unwrap().len(),
            2,
            "no key field: {body}"
        );
        let keyed: serde_json::Value =
            serde_json::from_str(&Generator::body("user.created", 42, Some(32))).unwrap();
        assert_eq!(keyed["data"]["seq"], 42);
        assert_eq!(keyed["data"][KEY_FIELD], 10);
    }
}
