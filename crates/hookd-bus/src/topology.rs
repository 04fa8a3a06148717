use crate::BusError;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

/// Where a published envelope goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `MessageAccepted`: ingest → router.
    Messages,
    /// `DeliveryJob`: router and retry scheduler → delivery workers.
    Deliveries,
    /// `RequestAccepted`: ingest (inbound requests at source URLs) → router.
    Requests,
}

impl Route {
    pub fn routing_key(self) -> &'static str {
        match self {
            Route::Messages => "message",
            Route::Deliveries => "delivery",
            Route::Requests => "request",
        }
    }
}

/// Every exchange and queue hookd uses, declared in one place. All names carry a prefix so
/// several installs (and parallel tests) can share one broker.
#[derive(Debug, Clone)]
pub struct Topology {
    prefix: String,
}

/// A message redelivered this many times (consumers crashing on it) is dead-lettered instead
/// of looping forever.
const DELIVERY_LIMIT: i32 = 20;

impl Topology {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// Direct exchange every envelope is published to.
    pub fn exchange(&self) -> String {
        format!("{}hookd.work", self.prefix)
    }

    /// Fanout exchange that receives what the work queues reject or give up on.
    pub fn dead_exchange(&self) -> String {
        format!("{}hookd.dead", self.prefix)
    }

    pub fn queue(&self, route: Route) -> String {
        match route {
            Route::Messages => format!("{}hookd.messages", self.prefix),
            Route::Deliveries => format!("{}hookd.deliveries", self.prefix),
            Route::Requests => format!("{}hookd.requests", self.prefix),
        }
    }

    pub fn dead_queue(&self) -> String {
        format!("{}hookd.dead", self.prefix)
    }

    /// Idempotent: every service declares the topology at start.
    pub async fn declare(&self, ch: &Channel) -> Result<(), BusError> {
        let durable = ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        };
        ch.exchange_declare(
            self.exchange().as_str().into(),
            ExchangeKind::Direct,
            durable,
            FieldTable::default(),
        )
        .await?;
        ch.exchange_declare(
            self.dead_exchange().as_str().into(),
            ExchangeKind::Fanout,
            durable,
            FieldTable::default(),
        )
        .await?;

        // Quorum queues: replicated, durable, and they count redeliveries (x-delivery-limit).
        let queue_opts = QueueDeclareOptions {
            durable: true,
            ..Default::default()
        };
        let mut dead_args = FieldTable::default();
        dead_args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        ch.queue_declare(self.dead_queue().as_str().into(), queue_opts, dead_args)
            .await?;
        ch.queue_bind(
            self.dead_queue().as_str().into(),
            self.dead_exchange().as_str().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;

        for route in [Route::Messages, Route::Deliveries, Route::Requests] {
            let mut args = FieldTable::default();
            args.insert(
                "x-queue-type".into(),
                AMQPValue::LongString("quorum".into()),
            );
            args.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString(self.dead_exchange().as_str().into()),
            );
            args.insert(
                "x-delivery-limit".into(),
                AMQPValue::LongInt(DELIVERY_LIMIT),
            );
            ch.queue_declare(self.queue(route).as_str().into(), queue_opts, args)
                .await?;
            ch.queue_bind(
                self.queue(route).as_str().into(),
                self.exchange().as_str().into(),
                route.routing_key().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        }
        Ok(())
    }

    /// Removes every exchange and queue of this prefix (test clean-up).
    pub async fn delete(&self, ch: &Channel) -> Result<(), BusError> {
        for q in [
            self.queue(Route::Messages),
            self.queue(Route::Deliveries),
            self.queue(Route::Requests),
            self.dead_queue(),
        ] {
            ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default())
                .await?;
        }
        for x in [self.exchange(), self.dead_exchange()] {
            ch.exchange_delete(x.as_str().into(), ExchangeDeleteOptions::default())
                .await?;
        }
        Ok(())
    }
}
