//! Tracing end to end: the three services export their spans over OTLP/HTTP to an in-process
//! receiver, and one message's spans (ingest, router, delivery) share one trace id, carried
//! between the services in the bus envelopes; so do one inbound request's at the gateway. A
//! retry the scheduler publishes later continues the trace (its traceparent is stored), so
//! does a message the messages relay publishes after its publish was missed, and log lines
//! logged in a traced span name the trace.

#[allow(dead_code)] // Each suite uses part of the shared harness.
#[path = "../it/helpers.rs"]
mod helpers;
mod logs;

use helpers::TestStack;
use hookd_testkit::{Behavior, Receiver};
use logs::LogLines;
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

/// The steps of an inbound request's path through the gateway, its retry included.
const GATEWAY_STEPS: &[&str] = &[
    "gateway.inbound",
    "gateway.route",
    "delivery.consume",
    "gateway.deliver",
    "gateway.schedule",
];

/// The steps of a message whose first try failed, up to its retry.
const RETRY_STEPS: &[&str] = &[
    "ingest.send",
    "router.fanout",
    "delivery.try",
    "delivery.schedule",
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
async fn a_message_and_an_inbound_request_are_each_one_trace_across_the_services() {
    let collector = Receiver::start().await;
    let logs = LogLines::default();
    let telemetry = hookd_telemetry::init_with_writer(
        &hookd_telemetry::TelemetryConfig {
            log_json: Some(true),
            level: "info".into(),
            otlp_endpoint: Some(collector.url("/otlp")),
            service: "hookd-test".into(),
        },
        logs.writer(),
    )
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

    let (trace, names) = wait_trace(
        &collector,
        &telemetry,
        ("ingest.send", "message_id", &message_id),
        |spans| has_steps(spans, STEPS),
    )
    .await;
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
    // The access-log line of the send names its request id and the message's trace.
    let x_request_id = sent
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("an X-Request-Id on the answer");
    let access = logs
        .wait_for(|l| l["target"] == "hookd::access" && l["request_id"] == x_request_id)
        .await;
    assert_eq!(access["trace_id"], json!(hex(&trace)), "{access}");
    assert_eq!(access["status"], json!(202), "{access}");

    // The gateway's path: an inbound request at a source URL, routed, delivered (the first
    // try fails, the scheduler's retry succeeds).
    stack.receiver.set(
        "/gw",
        Behavior::FailFirst {
            times: 1,
            status: 500,
        },
    );
    let connection = stack
        .api
        .raw(
            "POST",
            "/2024-03-01/connections",
            Some(
                json!({"name": "traced", "source": {"name": "traced-src"},
                    "destination": {"name": "traced-dst", "url": stack.receiver.url("/gw")}})
                .to_string()
                .into(),
            ),
            &[],
        )
        .await;
    assert_eq!(connection.status, 200, "{}", connection.text);
    let source_url = connection.body["source"]["url"]
        .as_str()
        .expect("source url");
    let inbound = stack
        .api
        .with_key(None)
        .raw(
            "POST",
            source_url
                .strip_prefix(&stack.base)
                .expect("a URL of this stack"),
            Some(BODY_MARKER.as_bytes().to_vec().into()),
            &[],
        )
        .await;
    assert_eq!(inbound.status, 200, "{}", inbound.text);
    let request_id = inbound.body["request_id"].as_str().expect("request_id");
    let (gw_trace, _) = wait_trace(
        &collector,
        &telemetry,
        ("gateway.inbound", "request_id", request_id),
        |spans| has_steps(spans, GATEWAY_STEPS) && count(spans, "gateway.deliver") == 2,
    )
    .await;
    assert_ne!(gw_trace, trace, "another request, another trace");
    // A line logged in a traced step of another service names that trace too.
    let recorded = logs
        .wait_for(|l| l["message"] == "gateway attempt recorded" && l["trace_id"] == hex(&gw_trace))
        .await;
    assert_eq!(recorded["target"], json!("hookd_delivery::gw_worker"));

    // A message whose first try fails: its retry, published later by the scheduler, is in
    // the same trace as the first try.
    stack.receiver.set(
        "/flaky",
        Behavior::FailFirst {
            times: 1,
            status: 500,
        },
    );
    // As the span writes it (a hyphenated UUID).
    let flaky_endpoint = stack.endpoint(&f, "/flaky", json!({})).await["id"]
        .as_str()
        .and_then(|id| id.parse::<uuid::Uuid>().ok())
        .expect("endpoint id")
        .to_string();
    // The message goes to "/hook" too: only the flaky endpoint's tries are counted.
    let flaky_tries = |spans: &[&Span]| -> Vec<String> {
        let mut statuses: Vec<String> = spans
            .iter()
            .filter(|s| {
                s.name == "delivery.try" && s.attributes.get("endpoint_id") == Some(&flaky_endpoint)
            })
            .filter_map(|s| s.attributes.get("status").cloned())
            .collect();
        statuses.sort();
        statuses
    };
    let flaky = stack
        .send(&f, json!({"event_type": "user.created", "data": {"n": 2}}))
        .await;
    assert_eq!(flaky.status, 202, "{}", flaky.text);
    let flaky_id = flaky.body["id"].as_str().expect("message id").to_owned();
    let (retry_trace, _) = wait_trace(
        &collector,
        &telemetry,
        ("ingest.send", "message_id", &flaky_id),
        |spans| has_steps(spans, RETRY_STEPS) && flaky_tries(spans).len() >= 2,
    )
    .await;
    let spans = exported(&collector);
    let in_trace: Vec<&Span> = spans.iter().filter(|s| s.trace_id == retry_trace).collect();
    assert_eq!(
        flaky_tries(&in_trace),
        vec!["200", "500"],
        "both tries in one trace"
    );
    // A message whose publish was missed (stored, never routed): the messages relay publishes
    // it in the trace stored with it at ingest, so its routing and delivery join that trace.
    let stored_trace = "5f1c0de5c0ffee000000000000000abc";
    let lost = uuid::Uuid::now_v7();
    let app: uuid::Uuid = f.app_id.parse().expect("app id");
    stack
        .db()
        .await
        .execute(
            "WITH m AS (
                INSERT INTO messages (id, app_id, event_type, version, data, created_at,
                    traceparent)
                VALUES ($1, $2, 'user.created', '1.0', '{}', now() - interval '1 minute', $3)
                RETURNING id, app_id, created_at
             )
             INSERT INTO message_outbox SELECT * FROM m",
            &[
                &lost,
                &app,
                &format!("00-{stored_trace}-00f067aa0ba902b7-01"),
            ],
        )
        .await
        .expect("a stored, unrouted message");
    let (relayed_trace, names) = wait_trace(
        &collector,
        &telemetry,
        ("router.relay", "message_id", &lost.to_string()),
        |spans| has_steps(spans, &["router.relay", "router.fanout", "delivery.try"]),
    )
    .await;
    assert_eq!(hex(&relayed_trace), stored_trace, "{names:?}");

    // Bodies never ride in a span.
    for span in &exported(&collector) {
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

/// Flushes the exporter until the trace whose `root` span has `key` = `value` is `done`;
/// returns its id and its span names. Spans are exported in batches, and the last steps end
/// just after the receiver has the request.
async fn wait_trace(
    collector: &Receiver,
    telemetry: &hookd_telemetry::Telemetry,
    (root, key, value): (&str, &str, &str),
    done: impl Fn(&[&Span]) -> bool,
) -> (Vec<u8>, BTreeSet<String>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        telemetry.flush();
        let spans = exported(collector);
        let trace = spans
            .iter()
            .find(|s| s.name == root && s.attributes.get(key).map(String::as_str) == Some(value))
            .map(|s| s.trace_id.clone());
        let in_trace: Vec<&Span> = match &trace {
            Some(t) => spans.iter().filter(|s| &s.trace_id == t).collect(),
            None => Vec::new(),
        };
        let names: BTreeSet<String> = in_trace.iter().map(|s| s.name.clone()).collect();
        if let Some(trace) = trace.filter(|_| done(&in_trace)) {
            return (trace, names);
        }
        assert!(
            Instant::now() < deadline,
            "the trace of {root} {key}={value} is not complete: has {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether the spans hold every one of `steps`.
fn has_steps(spans: &[&Span], steps: &[&str]) -> bool {
    steps
        .iter()
        .all(|step| spans.iter().any(|s| s.name == *step))
}

/// How many of the spans are `name`.
fn count(spans: &[&Span], name: &str) -> usize {
    spans.iter().filter(|s| s.name == name).count()
}

/// A trace id as W3C writes it.
fn hex(trace: &[u8]) -> String {
    trace.iter().map(|b| format!("{b:02x}")).collect()
}
