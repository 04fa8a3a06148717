use crate::limiter::EndpointLimiter;
use crate::metrics::DeliveryMetrics;
use crate::worker::Worker;
use futures_util::FutureExt;
use hookd_bus::{ConsumerConfig, Publisher, Route, Topology};
use hookd_config::Settings;
use hookd_outbound::{AddressPolicy, OutboundClient};
use hookd_telemetry::HealthServer;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Response bodies are read up to this (and stored cut to 4 KiB).
const MAX_RESPONSE_BODY: usize = 64 * 1024;

/// The delivery service, connected and bound.
pub struct DeliveryWorker {
    worker: Arc<Worker>,
    publisher: Arc<Publisher>,
    health: HealthServer,
}

impl DeliveryWorker {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        let pool =
            hookd_db::connect_relaxed(settings.database.url.expose(), settings.database.pool_size)?;
        // Fail at start, not at the first send, when the database is not there.
        drop(pool.get().await?);
        let topology = Topology::new(settings.amqp.prefix.clone());
        let publisher = Arc::new(Publisher::connect(settings.amqp.url.expose(), topology).await?);
        let policy = AddressPolicy::new(
            settings.delivery.allow_private_networks,
            &settings.delivery.allowed_subnets,
        )
        .map_err(|e| anyhow::anyhow!("delivery.allowed_subnets: {e}"))?;
        let client = OutboundClient::new(
            policy,
            settings.delivery.timeout,
            MAX_RESPONSE_BODY,
            settings.extra_ca_file(),
        )
        .map_err(|e| anyhow::anyhow!("delivery.extra_ca_file: {e}"))?;
        let metrics = DeliveryMetrics::new();
        let worker = Arc::new(Worker {
            // Jobs held waiting for their endpoint's cap: four rounds of its tries, and a
            // quarter of the prefetch over all endpoints, so stuck endpoints leave the rest to
            // the others.
            limiter: EndpointLimiter::new(
                settings.delivery.per_endpoint_concurrency,
                settings.delivery.per_endpoint_concurrency * 4,
                usize::from(settings.delivery.prefetch) / 4,
            ),
            recorder: crate::recorder::start(pool.clone(), settings.delivery.lease),
            postponer: crate::postponer::start(pool.clone()),
            gw_recorder: crate::gw_recorder::start(
                pool.clone(),
                settings.delivery.retry_schedule.clone(),
            ),
            global: Arc::new(tokio::sync::Semaphore::new(settings.delivery.concurrency)),
            pacer: crate::pacer::Pacer::default(),
            circuits: crate::circuit::Circuits::new(
                settings.delivery.circuit_failures,
                settings.delivery.circuit_cooldown,
            )
            .probes_answered_within(settings.delivery.timeout),
            gateway: crate::gw_secrets::GatewaySecrets::new(
                pool.clone(),
                hookd_signing::SecretCipher::new(settings.encryption_key())
                    .map_err(|e| anyhow::anyhow!("secrets.encryption_key: {e}"))?,
            ),
            gw_metrics: crate::gw_worker::GatewayAttemptMetrics::register(&metrics.registry),
            signing: crate::signing::SigningCache::new(
                pool.clone(),
                hookd_signing::SecretCipher::new(settings.encryption_key())
                    .map_err(|e| anyhow::anyhow!("secrets.encryption_key: {e}"))?,
            ),
            settings: settings.clone(),
            pool: pool.clone(),
            client,
            metrics: metrics.clone(),
            publisher: publisher.clone(),
            stopping: CancellationToken::new(),
        });
        let readiness = hookd_service::readiness(pool.clone(), publisher.clone());
        let health = HealthServer::bind(
            &settings.delivery.listen,
            metrics.registry.clone(),
            readiness,
        )?;
        Ok(Self {
            worker,
            publisher,
            health,
        })
    }

    pub fn port(&self) -> u16 {
        self.health.port()
    }

    pub fn metrics_registry(&self) -> hookd_telemetry::prometheus::Registry {
        self.worker.metrics.registry.clone()
    }

    /// Consumes jobs and schedules due retries until `shutdown`. On shutdown it stops taking
    /// jobs and lets the tries in flight finish (each bounded by the delivery timeout); jobs
    /// not yet started stay unacked and go back to the queue.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let DeliveryWorker {
            worker,
            publisher,
            health,
        } = self;
        let settings = worker.settings.clone();
        // Fifo lanes stop running their next jobs in-process: those go to the queue.
        tokio::spawn({
            let (stopping, shutdown) = (worker.stopping.clone(), shutdown.clone());
            async move {
                shutdown.cancelled().await;
                stopping.cancel();
            }
        });
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(
            health
                .run(shutdown.clone())
                .map(|r| r.map_err(anyhow::Error::from)),
        );
        {
            let (worker, publisher, shutdown) =
                (worker.clone(), publisher.clone(), shutdown.clone());
            let interval = worker.settings.delivery.poll_interval;
            // The gateway's scheduler opens sources' verification configs to strip their
            // credential headers from the jobs it builds.
            let cipher = hookd_signing::SecretCipher::new(settings.encryption_key())
                .map_err(|e| anyhow::anyhow!("secrets.encryption_key: {e}"))?;
            let gateway = {
                let (worker, publisher, shutdown) =
                    (worker.clone(), publisher.clone(), shutdown.clone());
                hookd_service::periodic("gateway scheduler", interval, shutdown, move || {
                    let (worker, publisher, cipher) =
                        (worker.clone(), publisher.clone(), cipher.clone());
                    async move {
                        crate::gw_scheduler::schedule_due(
                            &worker.pool,
                            &publisher,
                            &cipher,
                            worker.settings.delivery.lease,
                        )
                        .await
                        // A full batch means more are due: go again at once.
                        .map(|claimed| claimed >= 500)
                    }
                })
            };
            tasks.spawn(async move {
                let messages =
                    hookd_service::periodic("retry scheduler", interval, shutdown, || {
                        crate::scheduler::schedule_due(
                            &worker.pool,
                            &publisher,
                            worker.settings.delivery.lease,
                            &worker.metrics,
                        )
                        // A full batch means more are due: go again at once.
                        .map(|r| r.map(|claimed| claimed >= 500))
                    });
                tokio::join!(messages, gateway);
                Ok(())
            });
        }
        {
            let config = ConsumerConfig {
                url: settings.amqp.url.expose().clone(),
                topology: Topology::new(settings.amqp.prefix.clone()),
                route: Route::Deliveries,
                prefetch: settings.delivery.prefetch,
                tag: "hookd-delivery".into(),
                acks: Default::default(),
            };
            let (worker, shutdown) = (worker.clone(), shutdown.clone());
            tasks.spawn(async move {
                hookd_bus::consume(config, shutdown, move |bytes, redelivered| {
                    let worker = worker.clone();
                    async move { worker.handle(&bytes, redelivered).await }
                })
                .await;
                Ok(())
            });
        }
        while let Some(result) = tasks.join_next().await {
            if let Ok(Err(e)) = result {
                tracing::error!(error = %e, "delivery task failed");
                shutdown.cancel();
            }
        }
        Ok(())
    }
}
