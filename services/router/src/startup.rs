use crate::metrics::RouterMetrics;
use crate::view::RoutingView;
use futures_util::FutureExt;
use hookd_bus::{ConsumerConfig, Publisher, Route, Topology};
use hookd_config::Settings;
use hookd_db::Pool;
use hookd_telemetry::HealthServer;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The router service, connected and bound.
pub struct Router {
    settings: Arc<Settings>,
    pool: Pool,
    publisher: Arc<Publisher>,
    view: RoutingView,
    metrics: RouterMetrics,
    health: HealthServer,
}

impl Router {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        let pool =
            hookd_db::connect_relaxed(settings.database.url.expose(), settings.database.pool_size)?;
        let topology = Topology::new(settings.amqp.prefix.clone());
        let publisher = Arc::new(Publisher::connect(settings.amqp.url.expose(), topology).await?);
        let view = RoutingView::default();
        view.refresh(&pool).await?;
        let metrics = RouterMetrics::new();
        metrics.view_endpoints.set(view.snapshot().len() as i64);
        let readiness = hookd_service::readiness(pool.clone(), publisher.clone());
        let health =
            HealthServer::bind(&settings.router.listen, metrics.registry.clone(), readiness)?;
        Ok(Self {
            settings,
            pool,
            publisher,
            view,
            metrics,
            health,
        })
    }

    /// Port of `/healthz`, `/readyz`, `/metrics`.
    pub fn port(&self) -> u16 {
        self.health.port()
    }

    pub fn view(&self) -> RoutingView {
        self.view.clone()
    }

    pub fn metrics_registry(&self) -> hookd_telemetry::prometheus::Registry {
        self.metrics.registry.clone()
    }

    /// Consumes, refreshes the view, relays and schedules tasks until `shutdown`, then drains.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Router {
            settings,
            pool,
            publisher,
            view,
            metrics,
            health,
        } = self;
        let mut tasks = tokio::task::JoinSet::new();
        // One bound on the delivery jobs held at once, shared by every path that publishes them.
        let budget = hookd_service::JobBudget::new(settings.router.publish_budget_bytes);

        tasks.spawn(
            health
                .run(shutdown.clone())
                .map(|r| r.map_err(anyhow::Error::from)),
        );

        let changed = Arc::new(tokio::sync::Notify::new());
        tasks.spawn(
            hookd_db::listen(
                settings.database.url.expose().clone(),
                "hookd_routing",
                changed.clone(),
                shutdown.clone(),
            )
            .map(Ok),
        );
        {
            let (pool, view, metrics, shutdown) = (
                pool.clone(),
                view.clone(),
                metrics.clone(),
                shutdown.clone(),
            );
            tasks.spawn(async move {
                loop {
                    match view.refresh(&pool).await {
                        Ok(Some(done)) => {
                            metrics.view_reloads.inc();
                            metrics.view_rows_loaded.inc_by(done.rows as u64);
                            metrics.view_endpoints.set(view.snapshot().len() as i64);
                            tracing::debug!(
                                rows = done.rows,
                                deleted = done.deleted,
                                full = done.full,
                                "routing view refreshed"
                            );
                        }
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "routing view refresh failed"),
                    }
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = changed.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            });
        }
        {
            let (pool, publisher, metrics, shutdown) = (
                pool.clone(),
                publisher.clone(),
                metrics.clone(),
                shutdown.clone(),
            );
            let (interval, relay_after) =
                (settings.router.sweep_interval, settings.router.relay_after);
            tasks.spawn(async move {
                hookd_service::periodic("message relay", interval, shutdown, || {
                    crate::relay::relay_once(&pool, &publisher, relay_after, &metrics)
                        .map(|r| r.map(|_| false))
                })
                .await;
                Ok(())
            });
        }
        // Operational events, published as soon as their trigger NOTIFYs.
        tasks.spawn(
            crate::operational::run(
                settings.database.url.expose().clone(),
                pool.clone(),
                publisher.clone(),
                metrics.clone(),
                shutdown.clone(),
            )
            .map(Ok),
        );
        {
            // Fifo lanes left waiting by a crash or a message routed late.
            let (pool, publisher, metrics, shutdown, budget) = (
                pool.clone(),
                publisher.clone(),
                metrics.clone(),
                shutdown.clone(),
                budget.clone(),
            );
            let (interval, lease) = (settings.router.sweep_interval, settings.delivery.lease);
            tasks.spawn(async move {
                hookd_service::periodic("lane sweep", interval, shutdown, || {
                    crate::lanes::sweep_once(&pool, &publisher, &budget, lease, &metrics)
                })
                .await;
                Ok(())
            });
        }
        {
            let task_metrics = crate::tasks::TaskMetrics::register(&metrics.registry);
            tasks.spawn(
                crate::tasks::run(
                    pool.clone(),
                    publisher.clone(),
                    task_metrics,
                    settings.router.sweep_interval,
                    settings.router.relay_after,
                    shutdown.clone(),
                )
                .map(Ok),
            );
        }
        {
            // Data lifecycle: retention of payloads and metadata.
            let retention = crate::retention::RetentionMetrics::register(&metrics.registry);
            tasks.spawn(
                crate::retention::run(
                    pool.clone(),
                    settings.retention.clone(),
                    retention,
                    shutdown.clone(),
                )
                .map(Ok),
            );
            // Deprovisioning of organizations marked `deleting`.
            let deprovision = crate::deprovision::DeprovisionMetrics::register(&metrics.registry);
            tasks.spawn(
                crate::deprovision::run(
                    pool.clone(),
                    settings.router.sweep_interval,
                    settings.retention.batch_size,
                    deprovision,
                    shutdown.clone(),
                )
                .map(Ok),
            );
        }
        {
            let config = ConsumerConfig {
                url: settings.amqp.url.expose().clone(),
                topology: Topology::new(settings.amqp.prefix.clone()),
                route: Route::Messages,
                prefetch: settings.amqp.prefetch,
                tag: "hookd-router".into(),
                acks: Default::default(),
            };
            let lease = settings.delivery.lease;
            let ctx = crate::fanout::FanOutContext {
                pool: pool.clone(),
                batcher: crate::fanout::start_batcher(pool.clone(), lease),
                publisher: publisher.clone(),
                view: view.clone(),
                metrics: metrics.clone(),
                lease,
                budget: budget.clone(),
                in_flight: hookd_bus::InFlight::new(settings.amqp.prefetch.into()),
            };
            let shutdown = shutdown.clone();
            tasks.spawn(async move {
                hookd_bus::consume(config, shutdown, move |bytes, _redelivered| {
                    let ctx = ctx.clone();
                    async move { crate::fanout::handle(&ctx, &bytes).await }
                })
                .await;
                Ok(())
            });
        }
        {
            let gateway = std::sync::Arc::new(crate::gateway::GatewayRouter::new(
                pool.clone(),
                publisher.clone(),
                hookd_signing::SecretCipher::new(settings.encryption_key())
                    .map_err(|e| anyhow::anyhow!("secrets.encryption_key: {e}"))?,
                settings.delivery.lease,
                budget.clone(),
                hookd_bus::InFlight::new(settings.amqp.prefetch.into()),
                crate::gateway::GatewayMetrics::register(&metrics.registry),
            ));
            // The connections view: reloaded on NOTIFY and checked every second.
            let changed = Arc::new(tokio::sync::Notify::new());
            tasks.spawn(
                hookd_db::listen(
                    settings.database.url.expose().clone(),
                    "hookd_gateway",
                    changed.clone(),
                    shutdown.clone(),
                )
                .map(Ok),
            );
            {
                let (gateway, shutdown) = (gateway.clone(), shutdown.clone());
                tasks.spawn(async move {
                    loop {
                        if let Err(e) = gateway.view.refresh(&gateway.pool).await {
                            tracing::warn!(error = %e, "gateway view refresh failed");
                        }
                        tokio::select! {
                            _ = shutdown.cancelled() => return Ok(()),
                            _ = changed.notified() => {}
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                });
            }
            let config = ConsumerConfig {
                url: settings.amqp.url.expose().clone(),
                topology: Topology::new(settings.amqp.prefix.clone()),
                route: Route::Requests,
                prefetch: settings.amqp.prefetch,
                tag: "hookd-router-gateway".into(),
                acks: Default::default(),
            };
            let (consumer, consumer_shutdown) = (gateway.clone(), shutdown.clone());
            tasks.spawn(async move {
                hookd_bus::consume(config, consumer_shutdown, move |bytes, _| {
                    let gateway = consumer.clone();
                    async move { gateway.handle(&bytes).await }
                })
                .await;
                Ok(())
            });
            let shutdown = shutdown.clone();
            let (interval, relay_after) =
                (settings.router.sweep_interval, settings.router.relay_after);
            tasks.spawn(async move {
                loop {
                    if let Err(e) = gateway.relay_once(relay_after).await {
                        tracing::warn!(error = %e, "gateway relay failed");
                    }
                    tokio::select! {
                        _ = shutdown.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(interval) => {}
                    }
                }
            });
        }
        while let Some(result) = tasks.join_next().await {
            if let Ok(Err(e)) = result {
                tracing::error!(error = %e, "router task failed");
                shutdown.cancel();
            }
        }
        Ok(())
    }
}
