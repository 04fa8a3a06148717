//! Tracing end to end: the three services export their spans over OTLP/HTTP to an in-process
//! receiver, and one message's spans (ingest, router, delivery) share one trace id, carried
//! between the services in the bus envelopes.

#[allow(dead_code)] // Each suite uses part of the shared harness.
#[path = "../it/helpers.rs"]
mod helpers;

use helpers::TestStack;
use hookd_testkit::Receiver;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use prost::Message as _;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// The steps of a message's path, each a span.
const STEPS: &[&str] = &[
    "ingest.send",
    "ingest.insert",
    "ingest.publish",
    "router.consume",
    "router.fanout",
    "router.publish",
    "delivery.consume",
    "delivery.try",
    "delivery.record",
];

/// A body value that must never appear in a span.
const BODY_MARKER: &str = "body-never-in-a-span-7f3a";

struct Span {
    trace_id: Vec<u8>,
    name: String,
    attributes: HashMap<String, String>,
}

/// Every span the receiver got, decoded from the OTLP requests.
fn exported(collector: &Receiver) -> Vec<Span> {
    let mut spans = Vec::new();
    for request in collector.received_at("/otlp/v1/traces") {
        let export = ExportTraceServiceRequest::decode(request.body.as_ref())
            .expect("an OTLP/HTTP protobuf export");
        for scope in export
            .resource_spans
            .into_iter()
            .flat_map(|r| r.scope_spans)
        {
            for span in scope.spans {
                let attributes = span
                    .attributes
                    .iter()
                    .map(|kv| {
                        let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                            Some(AnyValue::StringValue(s)) => s.clone(),
                            Some(AnyValue::IntValue(i)) => i.to_string(),
                            Some(AnyValue::BoolValue(b)) => b.to_string(),
                            other => format!("{other:?}"),
                        };
                        (kv.key.clone(), value)
                    })
                    .collect();
                spans.push(Span {
                    trace_id: span.trace_id,
                    name: span.name,
                    attributes,
                });
            }
        }
    }
    spans
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_message_is_one_trace_across_the_three_services() {
    let collector = Receiver::start().await;
    let telemetry = hookd_telemetry::init(&hookd_telemetry::TelemetryConfig {
        log_json: None,
        level: "info".into(),
        otlp_endpoint: Some(collector.url("/otlp")),
        service: "hookd-test".into(),
    })
    .expect("telemetry with an OTLP endpoint");
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/hook", json!({})).await;
    let sent = stack
        .send(
            &f,
            json!({"event_type": "user.created", "data": {"note": BODY_MARKER}}),
        )
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text);
    let message_id = sent.body["id"].as_str().expect("message id").to_owned();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |r| r
                .iter()
                .any(|x| x.path == "/hook"))
            .await,
        "the message was not delivered"
    );

    // The delivery is recorded just after the endpoint answers, and spans are exported in
    // batches: flush until every step of the message's trace is there.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (trace, names) = loop {
        tokio::task::block_in_place(|| telemetry.flush());
        let spans = exported(&collector);
        let trace = spans
            .iter()
            .find(|s| {
                s.name == "ingest.send" && s.attributes.get("message_id") == Some(&message_id)
            })
            .map(|s| s.trace_id.clone());
        let names: BTreeSet<String> = match &trace {
            Some(t) => spans
                .iter()
                .filter(|s| &s.trace_id == t)
                .map(|s| s.name.clone())
                .collect(),
            None => BTreeSet::new(),
        };
        if STEPS.iter().all(|s| names.contains(*s)) {
            break (trace.expect("a trace"), names);
        }
        assert!(
            Instant::now() < deadline,
            "the message's trace lacks steps: has {names:?}, wants {STEPS:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(trace.len(), 16, "a W3C trace id is 16 bytes");
    assert!(
        trace.iter().any(|b| *b != 0),
        "a valid trace id is not all zeros"
    );

    let spans = exported(&collector);
    let in_trace: Vec<&Span> = spans.iter().filter(|s| s.trace_id == trace).collect();
    // Each service's steps name the message they handled.
    for step in ["router.consume", "router.fanout", "delivery.consume"] {
        let span = in_trace
            .iter()
            .find(|s| s.name == step)
            .unwrap_or_else(|| panic!("{step} in {names:?}"));
        assert_eq!(
            span.attributes.get("message_id"),
            Some(&message_id),
            "{step}'s message_id"
        );
    }
    let tried = in_trace
        .iter()
        .find(|s| s.name == "delivery.try")
        .expect("delivery.try");
    assert_eq!(
        tried.attributes.get("status").map(String::as_str),
        Some("200")
    );
    // Bodies never ride in a span.
    for span in &spans {
        for (key, value) in &span.attributes {
            assert!(
                !value.contains(BODY_MARKER),
                "span {} carries the body in {key}",
                span.name
            );
        }
    }
    stack.stop().await;
}
