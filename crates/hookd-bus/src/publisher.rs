use crate::{connect, BusError, Route, Topology};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);
/// After a failed connect, how long publishes fail at once before the next try.
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// Publishes envelopes and awaits the broker's confirm for each. Many tasks may publish at
/// once on the shared channel; their confirms are awaited concurrently. Reconnects lazily
/// after the broker goes away.
pub struct Publisher {
    url: String,
    topology: Topology,
    state: Mutex<Option<(Connection, Channel)>>,
    /// When the last connect failed.
    failed_at: Mutex<Option<Instant>>,
}

impl Publisher {
    pub async fn connect(url: &str, topology: Topology) -> Result<Self, BusError> {
        let publisher = Self {
            url: url.to_owned(),
            topology,
            state: Mutex::new(None),
            failed_at: Mutex::new(None),
        };
        publisher.channel().await?;
        Ok(publisher)
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    async fn channel(&self) -> Result<Channel, BusError> {
        let mut state = self.state.lock().await;
        if let Some((conn, ch)) = state.as_ref() {
            if conn.status().connected() && ch.status().connected() {
                return Ok(ch.clone());
            }
        }
        // Publishers queue on this lock: after a failed connect the ones behind it fail at
        // once instead of each waiting out its own connect timeout.
        let mut failed_at = self.failed_at.lock().await;
        if failed_at.is_some_and(|at| at.elapsed() < RECONNECT_PAUSE) {
            return Err(BusError::Unreachable);
        }
        let open = async {
            let conn = connect(&self.url).await?;
            let ch = conn.create_channel().await?;
            self.topology.declare(&ch).await?;
            ch.confirm_select(ConfirmSelectOptions::default()).await?;
            Ok::<_, BusError>((conn, ch))
        };
        let opened = tokio::time::timeout(CONFIRM_TIMEOUT, open)
            .await
            .map_err(|_| BusError::Timeout)
            .and_then(|r| r);
        let (conn, ch) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                *failed_at = Some(Instant::now());
                return Err(e);
            }
        };
        *failed_at = None;
        *state = Some((conn, ch.clone()));
        Ok(ch)
    }

    /// True when the broker connection is up (readiness).
    pub async fn is_connected(&self) -> bool {
        self.channel().await.is_ok()
    }

    /// Publishes one persistent envelope and waits until the broker has it on disk.
    pub async fn publish(&self, route: Route, payload: &[u8]) -> Result<(), BusError> {
        let ch = self.channel().await?;
        let result = tokio::time::timeout(CONFIRM_TIMEOUT, async {
            let confirm = ch
                .basic_publish(
                    self.topology.exchange().as_str().into(),
                    route.routing_key().into(),
                    BasicPublishOptions::default(),
                    payload,
                    // delivery_mode 2: persistent.
                    BasicProperties::default().with_delivery_mode(2),
                )
                .await?
                .await?;
            if confirm.is_ack() {
                Ok(())
            } else {
                Err(BusError::Nacked)
            }
        })
        .await;
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                self.reset().await;
                Err(e)
            }
            Err(_) => {
                self.reset().await;
                Err(BusError::Timeout)
            }
        }
    }

    /// Envelopes ready in `route`'s queue (not counting those held by consumers).
    pub async fn queue_depth(&self, route: Route) -> Result<u32, BusError> {
        let ch = self.channel().await?;
        // Bounded like a publish: on a channel the broker has stopped answering (a link cut
        // mid-call), lapin would wait for the reply for good.
        let declared = tokio::time::timeout(
            CONFIRM_TIMEOUT,
            ch.queue_declare(
                self.topology.queue(route).as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            ),
        )
        .await;
        match declared {
            Ok(Ok(queue)) => Ok(queue.message_count()),
            Ok(Err(e)) => {
                self.reset().await;
                Err(e.into())
            }
            Err(_) => {
                self.reset().await;
                Err(BusError::Timeout)
            }
        }
    }

    async fn reset(&self) {
        *self.state.lock().await = None;
    }
}
