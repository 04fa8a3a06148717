//! `trace_id` on log lines: a line logged inside a span of an exported trace names the trace,
//! so a log search and a trace view meet.

use opentelemetry::trace::TraceContextExt;
use std::fmt;
use std::sync::{Arc, OnceLock};
use tracing::dispatcher::WeakDispatch;
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The installed subscriber, once it is: a span's trace is read through it. Unset (no trace
/// ids) while spans are not exported, as there is no trace then.
#[derive(Clone, Default)]
pub(crate) struct Installed(Arc<OnceLock<WeakDispatch>>);

impl Installed {
    pub(crate) fn set(&self, dispatch: &Dispatch) {
        let _ = self.0.set(dispatch.downgrade());
    }

    /// The trace of the span, as W3C writes it (32 hex digits).
    fn trace_id(&self, span: &tracing::span::Id) -> Option<String> {
        let dispatch = self.0.get()?.upgrade()?;
        let cx = tracing_opentelemetry::get_otel_context(span, &dispatch)?;
        let span = cx.span();
        let context = span.span_context();
        context.is_valid().then(|| context.trace_id().to_string())
    }
}

/// A line format with the `trace_id` of the event's innermost exported span added: a JSON
/// line's first field, a readable line's prefix.
pub(crate) struct WithTraceId<F> {
    pub(crate) inner: F,
    pub(crate) installed: Installed,
    pub(crate) json: bool,
}

impl<S, N, F> FormatEvent<S, N> for WithTraceId<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        // Dependencies' spans are not exported: the nearest of hookd's names the trace.
        let trace = ctx
            .event_scope()
            .and_then(|mut scope| scope.find_map(|span| self.installed.trace_id(&span.id())));
        let Some(trace) = trace else {
            return self.inner.format_event(ctx, writer, event);
        };
        if !self.json {
            write!(writer, "trace_id={trace} ")?;
            return self.inner.format_event(ctx, writer.by_ref(), event);
        }
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => write!(writer, "{{\"trace_id\":\"{trace}\",{rest}"),
            None => writer.write_str(&line),
        }
    }
}
