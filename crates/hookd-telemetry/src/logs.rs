use crate::otlp::{self, OtlpError};
use crate::trace_ids::{Installed, WithTraceId};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// How a process reports: its log lines, and where its spans go.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// JSON lines for production, readable lines for a terminal; `None`: no log lines.
    pub log_json: Option<bool>,
    /// The log filter; `RUST_LOG` overrides it.
    pub level: String,
    /// An OTLP/HTTP collector (`http://collector:4318`); `None`: spans are not exported.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported spans.
    pub service: String,
}

impl TelemetryConfig {
    /// A service's configuration from its settings (`log`, `telemetry.otlp_endpoint`).
    pub fn from_settings(settings: &hookd_config::Settings, service: &str) -> Self {
        Self {
            log_json: Some(settings.log.format == hookd_config::LogFormat::Json),
            level: settings.log.level.clone(),
            // An empty value (an unset environment variable's) turns export off too.
            otlp_endpoint: settings
                .telemetry
                .otlp_endpoint
                .clone()
                .filter(|e| !e.trim().is_empty()),
            service: service.to_owned(),
        }
    }
}

/// Keeps the exporter alive; dropping it sends the spans still buffered.
#[must_use = "dropping the guard stops span export"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans buffered so far (their export is otherwise batched); waits for it on a
    /// multi-thread runtime.
    pub fn flush(&self) {
        if let Some(p) = &self.provider {
            let p = p.clone();
            off_the_runtime(move || {
                let _ = p.force_flush();
            });
        }
    }
}

/// Runs `wait`, which blocks until the exporter has sent, without holding up the runtime the
/// exporter sends from: on a multi-thread runtime this worker hands its tasks over first; on
/// any other (or none) it runs on a thread of its own, not awaited, so it can never deadlock.
fn off_the_runtime(wait: impl FnOnce() + Send + 'static) {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
        _ => drop(std::thread::spawn(wait)),
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            off_the_runtime(move || {
                let _ = p.shutdown();
            });
        }
    }
}

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Installs the global subscriber: log lines filtered by `level` (or `RUST_LOG`), and with an
/// OTLP endpoint, hookd's spans exported whatever the log level. Must run inside the tokio
/// runtime that will send the spans. A second call installs nothing (its guard exports nothing).
pub fn init(config: &TelemetryConfig) -> Result<Telemetry, OtlpError> {
    init_with_writer(config, BoxMakeWriter::new(std::io::stdout))
}

/// `init` with the log lines written to `writer` instead of standard output.
pub fn init_with_writer(
    config: &TelemetryConfig,
    writer: BoxMakeWriter,
) -> Result<Telemetry, OtlpError> {
    let mut layers: Vec<BoxedLayer> = Vec::new();
    // Lines logged in a span of an exported trace carry its id.
    let installed = Installed::default();
    if let Some(json) = config.log_json {
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.level));
        let fmt: BoxedLayer = if json {
            let format = tracing_subscriber::fmt::format()
                .json()
                .flatten_event(true)
                .with_current_span(false);
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(WithTraceId {
                    inner: format,
                    installed: installed.clone(),
                    json,
                })
                .with_writer(writer)
                .with_filter(filter)
                .boxed()
        } else {
            tracing_subscriber::fmt::layer()
                .event_format(WithTraceId {
                    inner: tracing_subscriber::fmt::format(),
                    installed: installed.clone(),
                    json,
                })
                .with_writer(writer)
                .with_filter(filter)
                .boxed()
        };
        layers.push(fmt);
    }
    let provider = match &config.otlp_endpoint {
        Some(endpoint) => Some(otlp::provider(endpoint, &config.service)?),
        None => None,
    };
    if let Some(p) = &provider {
        // The steps of a message's path are hookd's own spans at INFO; dependencies' spans
        // would only add noise to a trace.
        let steps = Targets::new()
            .with_target("hookd", LevelFilter::INFO)
            .with_default(LevelFilter::OFF);
        layers.push(
            tracing_opentelemetry::layer()
                .with_tracer(p.tracer("hookd"))
                .with_filter(steps)
                .boxed(),
        );
    }
    let installed_now = tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .is_ok();
    if installed_now && provider.is_some() {
        tracing::dispatcher::get_default(|dispatch| installed.set(dispatch));
    }
    Ok(Telemetry {
        provider: provider.filter(|_| installed_now),
    })
}

/// Installs log lines only (no export): JSON lines for production, readable lines for a
/// terminal. `RUST_LOG` overrides `level`. Safe to call more than once (later calls do nothing).
pub fn init_tracing(json: bool, level: &str) {
    let config = TelemetryConfig {
        log_json: Some(json),
        level: level.to_owned(),
        otlp_endpoint: None,
        service: String::new(),
    };
    // Without an endpoint nothing can fail, and there is no exporter for the guard to keep.
    let _ = init(&config);
}
