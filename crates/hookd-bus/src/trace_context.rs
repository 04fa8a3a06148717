//! W3C trace context on the bus: an envelope carries the `traceparent` of the span that built
//! it, and the consumer's span continues that trace, so one trace follows a message from
//! ingest through the router to the delivery worker.

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use std::collections::HashMap;
use tracing_opentelemetry::OpenTelemetrySpanExt;

const TRACEPARENT: &str = "traceparent";

/// The `traceparent` of the current span; `None` when spans are not exported (tracing off).
pub fn current_traceparent() -> Option<String> {
    let cx = tracing::Span::current().context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// `span` as a child of the envelope's `traceparent`, when it has a valid one. Call it before
/// the span is first entered: a started span keeps the parent it started with.
pub fn continue_trace(span: tracing::Span, traceparent: Option<&str>) -> tracing::Span {
    if let Some(value) = traceparent {
        let carrier = HashMap::from([(TRACEPARENT.to_owned(), value.to_owned())]);
        let cx = TraceContextPropagator::new().extract(&carrier);
        if cx.span().span_context().is_valid() {
            // Fails only when spans are not exported: the span then has no trace to join.
            let _ = span.set_parent(cx);
        }
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelopes::MessageAccepted;
    use prost::Message as _;

    #[test]
    fn envelopes_without_a_trace_context_still_decode() {
        // An envelope of an older version: field 9 was never written.
        let old = MessageAccepted {
            message_id: "m".into(),
            traceparent: None,
            ..Default::default()
        }
        .encode_to_vec();
        let decoded = MessageAccepted::decode(old.as_slice()).unwrap();
        assert_eq!(decoded.message_id, "m");
        assert_eq!(decoded.traceparent, None);
    }

    #[test]
    fn without_an_exporter_there_is_no_trace_context() {
        let span = tracing::info_span!("step");
        let _in = continue_trace(span, Some("not-a-traceparent")).entered();
        assert_eq!(current_traceparent(), None);
    }
}
