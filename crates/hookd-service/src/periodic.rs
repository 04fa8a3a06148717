//! A background pass run periodically until shutdown: the one loop every service's periodic work
//! (relays, schedulers, view refreshes, bulk retries) runs in.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Runs `pass` until `shutdown`: again at once while it says there is more to do (`Ok(true)`),
/// else after `interval`. A failed pass is logged and retried after `interval`.
pub async fn run<F, Fut, E>(
    name: &'static str,
    interval: Duration,
    shutdown: CancellationToken,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, E>>,
    E: Display,
{
    loop {
        let more = match pass().await {
            Ok(more) => more,
            Err(e) => {
                tracing::warn!(task = name, error = %e, "periodic pass failed");
                false
            }
        };
        if more && !shutdown.is_cancelled() {
            continue;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
