use futures_util::FutureExt;
use hookd_bus::Publisher;
use hookd_db::Pool;
use hookd_telemetry::Readiness;
use std::sync::Arc;

/// The dependency that is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unready {
    #[error("database")]
    Database,
    #[error("broker")]
    Broker,
}

/// Ready when PostgreSQL answers a query and the broker connection is up.
pub async fn dependencies_ready(pool: &Pool, publisher: &Publisher) -> Result<(), Unready> {
    let client = pool.get().await.map_err(|_| Unready::Database)?;
    client
        .simple_query("SELECT 1")
        .await
        .map_err(|_| Unready::Database)?;
    if !publisher.is_connected().await {
        return Err(Unready::Broker);
    }
    Ok(())
}

/// `dependencies_ready` as the health server's readiness check.
pub fn readiness(pool: Pool, publisher: Arc<Publisher>) -> Readiness {
    Arc::new(move || {
        let (pool, publisher) = (pool.clone(), publisher.clone());
        async move {
            dependencies_ready(&pool, &publisher)
                .await
                .map_err(|e| e.to_string())
        }
        .boxed()
    })
}
