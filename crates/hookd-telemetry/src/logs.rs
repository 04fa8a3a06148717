use tracing_subscriber::EnvFilter;

/// Installs the global subscriber: JSON lines for production, readable lines for a terminal.
/// `RUST_LOG` overrides `level`. Safe to call more than once (later calls do nothing).
pub fn init_tracing(json: bool, level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.try_init()
    };
}
