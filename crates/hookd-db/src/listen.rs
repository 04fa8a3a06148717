//! LISTEN/NOTIFY: how services learn at once that something they cache has changed.

use std::sync::Arc;

/// Wakes `notify` once listening and on every `NOTIFY <channel>` (sent by triggers on changes
/// that caches depend on); reconnects when the connection drops. Callers keep a periodic check
/// or a TTL for the moments this is down.
pub async fn listen(
    url: String,
    channel: &'static str,
    notify: Arc<tokio::sync::Notify>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    listen_with(url, channel, move |_| notify.notify_one(), shutdown).await
}

/// Calls `on` with `None` once listening (after each reconnection: notifications may have
/// been missed) and with each `NOTIFY <channel>`'s payload; reconnects when the connection
/// drops.
pub async fn listen_with(
    url: String,
    channel: &'static str,
    mut on: impl FnMut(Option<&str>) + Send,
    shutdown: tokio_util::sync::CancellationToken,
) {
    use futures_util::StreamExt;
    while !shutdown.is_cancelled() {
        if let Ok((client, mut connection)) =
            tokio_postgres::connect(&url, tokio_postgres::NoTls).await
        {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            let statement = format!("LISTEN {channel}");
            let listen = client.batch_execute(&statement);
            let driven = async {
                // The connection must be polled for LISTEN to complete.
                tokio::pin!(listen);
                loop {
                    tokio::select! {
                        r = &mut listen => { if r.is_err() { return; } break; }
                        m = messages.next() => if m.is_none() { return; },
                    }
                }
                on(None);
                while let Some(Ok(m)) = messages.next().await {
                    if let tokio_postgres::AsyncMessage::Notification(n) = m {
                        on(Some(n.payload()));
                    }
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = driven => {}
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}
