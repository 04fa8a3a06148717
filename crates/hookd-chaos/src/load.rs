use hookd_testkit::ApiClient;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// What the load sent: ids answered 202, and sends refused (an outage answered 5xx or the
/// connection failed: nothing was promised for those).
pub struct Sent {
    pub accepted: Vec<String>,
    pub refused: usize,
}

/// Sends messages at a steady rate for a while.
pub struct Load {
    task: JoinHandle<Sent>,
}

impl Load {
    pub fn start(api: ApiClient, app_id: String, rate: u64, duration: Duration) -> Self {
        let task = tokio::spawn(async move {
            let mut sent = Sent {
                accepted: Vec::new(),
                refused: 0,
            };
            let started = Instant::now();
            let mut interval = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
            let mut seq = 0u64;
            let path = format!("/api/v1/apps/{app_id}/messages");
            while started.elapsed() < duration {
                interval.tick().await;
                seq += 1;
                let body = json!({"event_type": "chaos.tick", "data": {"seq": seq}});
                // Bounded, so a hung request during an outage cannot stall the load.
                match tokio::time::timeout(Duration::from_secs(5), api.try_post(&path, &body)).await
                {
                    Ok(Ok(r)) if r.status == 202 => sent
                        .accepted
                        .push(r.body["id"].as_str().unwrap_or_default().to_owned()),
                    _ => sent.refused += 1,
                }
            }
            sent
        });
        Self { task }
    }

    pub async fn finish(self) -> Sent {
        self.task.await.unwrap_or(Sent {
            accepted: Vec::new(),
            refused: 0,
        })
    }
}
