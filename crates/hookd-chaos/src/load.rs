use hookd_testkit::ApiClient;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Where a load sends.
#[derive(Debug, Clone)]
pub enum Entry {
    /// The messages API of an app: 202 `{id}` (the `webhook-id` the endpoint gets).
    Messages { app_id: String },
    /// A gateway source URL path (`/e/src_...`), no API key: 200 `{request_id}` (the
    /// `x-hookdeck-requestid` the destination gets).
    Source { path: String },
}

impl Entry {
    fn path(&self) -> String {
        match self {
            Entry::Messages { app_id } => format!("/api/v1/apps/{app_id}/messages"),
            Entry::Source { path } => path.clone(),
        }
    }

    /// The status that promises delivery, and the field of the answer that names what was
    /// accepted.
    fn accepted_as(&self) -> (u16, &'static str) {
        match self {
            Entry::Messages { .. } => (202, "id"),
            Entry::Source { .. } => (200, "request_id"),
        }
    }
}

/// What the load sent: ids of the accepted sends, and sends refused (an outage answered 5xx
/// or the connection failed: nothing was promised for those).
pub struct Sent {
    pub accepted: Vec<String>,
    pub refused: usize,
}

/// Sends messages at a steady rate for a while.
pub struct Load {
    task: JoinHandle<Sent>,
}

impl Load {
    /// Goes round `apis` (the ingest replicas), one request each in turn, as a load balancer
    /// would; a request that got no answer at all (a replica down) is sent once more to the
    /// next replica.
    pub fn start(apis: Vec<ApiClient>, entry: Entry, rate: u64, duration: Duration) -> Self {
        let apis: Vec<ApiClient> = match entry {
            Entry::Messages { .. } => apis,
            // Inbound takes no key; sending none also keeps it out of the forwarded headers.
            Entry::Source { .. } => apis.iter().map(|a| a.with_key(None)).collect(),
        };
        let task = tokio::spawn(async move {
            let mut sent = Sent {
                accepted: Vec::new(),
                refused: 0,
            };
            let started = Instant::now();
            let mut interval = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
            let mut seq = 0u64;
            let path = entry.path();
            let (status, id_field) = entry.accepted_as();
            while started.elapsed() < duration {
                interval.tick().await;
                seq += 1;
                let body = json!({"event_type": "chaos.tick", "data": {"seq": seq}});
                let first = (seq % apis.len() as u64) as usize;
                let mut answer = None;
                for api in [&apis[first], &apis[(first + 1) % apis.len()]] {
                    // Bounded, so a hung request during an outage cannot stall the load.
                    match tokio::time::timeout(Duration::from_secs(5), api.try_post(&path, &body))
                        .await
                    {
                        Ok(Ok(r)) => {
                            answer = Some(r);
                            break;
                        }
                        _ if apis.len() > 1 => continue,
                        _ => break,
                    }
                }
                match answer {
                    Some(r) if r.status == status => sent
                        .accepted
                        .push(r.body[id_field].as_str().unwrap_or_default().to_owned()),
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
