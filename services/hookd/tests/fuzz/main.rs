//! Property tests of the API's JSON body handling, against the real stack: whatever bytes a
//! client posts, the answer is a 4xx in the error format (or a success for a body that happens
//! to be valid), never a 5xx.

#[path = "../it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::TestStack;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A small limit, so that the 413 branch is reached by bodies of a few KiB.
const BODY_LIMIT: usize = 2048;

/// The routes that read a JSON body, with real ids of the caller's organization.
fn json_routes(stack: &TestStack, rt: &tokio::runtime::Runtime) -> Vec<(&'static str, String)> {
    let (f, endpoint) = rt.block_on(async {
        let f = stack.fixture().await;
        let endpoint = stack.endpoint(&f, "/fuzz", json!({})).await;
        (f, endpoint)
    });
    let (app, sub) = (f.app_id, f.subscription_id);
    let endpoint = endpoint["id"].as_str().unwrap().to_owned();
    vec![
        ("POST", "/api/v1/organizations".into()),
        ("POST", "/api/v1/api_keys".into()),
        ("POST", "/api/v1/apps".into()),
        ("PATCH", format!("/api/v1/apps/{app}")),
        ("POST", format!("/api/v1/apps/{app}/event_types")),
        (
            "PATCH",
            format!("/api/v1/apps/{app}/event_types/user.created"),
        ),
        ("POST", format!("/api/v1/apps/{app}/subscriptions")),
        ("PATCH", format!("/api/v1/subscriptions/{sub}")),
        ("POST", format!("/api/v1/subscriptions/{sub}/endpoints")),
        (
            "PATCH",
            format!("/api/v1/subscriptions/{sub}/endpoints/{endpoint}"),
        ),
        (
            "POST",
            format!("/api/v1/subscriptions/{sub}/endpoints/{endpoint}/secret/rotate"),
        ),
        (
            "POST",
            format!("/api/v1/subscriptions/{sub}/endpoints/{endpoint}/messages"),
        ),
        ("POST", format!("/api/v1/apps/{app}/messages")),
        ("POST", format!("/api/v1/app/{app}/messages")),
        ("POST", format!("/api/v1/apps/{app}/tasks")),
        ("POST", format!("/api/v1/apps/{app}/deliveries/retry")),
    ]
}

/// Field names of the bodies, so that generated objects often carry real fields with values
/// of any type.
const FIELDS: &[&str] = &[
    "name",
    "description",
    "schema",
    "metadata",
    "url",
    "version",
    "status",
    "event_types",
    "headers",
    "event_type",
    "event_id",
    "data",
    "scheduled_run_time",
    "endpoint_id",
    "created_at",
    "gte",
    "lte",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z.]{1,12}",
        Just("user.created".to_owned()),
        Just("1.0".to_owned()),
        Just("enabled".to_owned()),
        Just("2026-12-01T09:00:00Z".to_owned()),
        "http://127\\.0\\.0\\.1:[0-9]{1,5}/[a-z]{0,8}",
        // PostgreSQL stores a NUL character in neither text nor jsonb.
        "[a-z]{0,4}\u{0}[a-z]{0,4}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![prop::sample::select(FIELDS).prop_map(str::to_owned), text()],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object whose keys are mostly the bodies' own fields.
fn json_body() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop::sample::select(FIELDS).prop_map(str::to_owned),
        json_value(),
        0..6,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// Bytes: random ones, and near-JSON (a valid body cut short or with a byte changed).
fn raw_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        prop::collection::vec(any::<u8>(), 0..(BODY_LIMIT * 2)),
        (
            json_body(),
            any::<prop::sample::Index>(),
            any::<u8>(),
            any::<bool>()
        )
            .prop_map(|(v, at, byte, cut)| {
                let mut bytes = v.to_string().into_bytes();
                let i = at.index(bytes.len());
                if cut {
                    bytes.truncate(i);
                } else {
                    bytes[i] = byte;
                }
                bytes
            }),
    ]
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// The error format of API.md, with the status it was answered with.
fn check_error_body(status: u16, text: &str) -> Result<(), TestCaseError> {
    let body: Value = serde_json::from_str(text)
        .map_err(|e| TestCaseError::fail(format!("{status} without a JSON body ({e}): {text}")))?;
    prop_assert_eq!(&body["handled"], &json!(true), "{}", text);
    prop_assert_eq!(&body["status"], &json!(status), "{}", text);
    prop_assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        text
    );
    Ok(())
}

#[test]
fn arbitrary_bytes_get_a_4xx_never_a_5xx() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stack = rt.block_on(TestStack::spawn_with(|s| {
        s.ingest.body_limit_bytes = BODY_LIMIT;
    }));
    let routes = json_routes(&stack, &rt);
    let counts = RefCell::new(BTreeMap::<u16, u32>::new());
    let strategy = (prop::sample::select(routes), raw_body());
    runner(128)
        .run(&strategy, |((method, path), bytes)| {
            let r = rt.block_on(
                stack
                    .api
                    .raw(method, &path, Some(bytes.clone().into()), &[]),
            );
            *counts.borrow_mut().entry(r.status).or_default() += 1;
            // Routes whose fields are all optional read an empty body as `{}`.
            // (JSON as the server's typed parser reads it: a number past f64's range in a field
            // the route ignores is still JSON, though `Value` refuses it.)
            let is_object = bytes.trim_ascii().is_empty()
                || (bytes.trim_ascii().starts_with(b"{")
                    && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok());
            let expected: &[u16] = if is_object {
                // It happens to be a JSON object: it may even be valid.
                &[200, 201, 202, 400, 404, 409, 413, 422]
            } else {
                &[400, 404, 413, 422]
            };
            prop_assert!(
                expected.contains(&r.status),
                "{method} {path} with {} bytes {:?}: {} {}",
                bytes.len(),
                String::from_utf8_lossy(&bytes),
                r.status,
                r.text
            );
            if bytes.len() > BODY_LIMIT {
                prop_assert_eq!(r.status, 413, "{} bytes: {}", bytes.len(), r.text);
            }
            if r.status >= 400 {
                check_error_body(r.status, &r.text)?;
            }
            Ok(())
        })
        .unwrap();
    // The generator reaches the branches it is meant to: malformed (400) and too large (413).
    let counts = counts.into_inner();
    eprintln!("statuses: {counts:?}");
    assert!(counts.contains_key(&400), "{counts:?}");
    assert!(counts.contains_key(&413), "{counts:?}");
    rt.block_on(stack.stop());
}

#[test]
fn arbitrary_json_objects_never_get_a_5xx() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stack = rt.block_on(TestStack::spawn_with(|s| {
        s.ingest.body_limit_bytes = BODY_LIMIT;
    }));
    let routes = json_routes(&stack, &rt);
    let counts = RefCell::new(BTreeMap::<u16, u32>::new());
    let strategy = (prop::sample::select(routes), json_body());
    runner(128)
        .run(&strategy, |((method, path), body)| {
            let bytes = body.to_string();
            let r = rt.block_on(
                stack
                    .api
                    .raw(method, &path, Some(bytes.clone().into()), &[]),
            );
            *counts.borrow_mut().entry(r.status).or_default() += 1;
            prop_assert!(
                [200, 201, 202, 404, 409, 413, 422].contains(&r.status),
                "{method} {path} {bytes}: {} {}",
                r.status,
                r.text
            );
            if r.status >= 400 {
                check_error_body(r.status, &r.text)?;
            }
            Ok(())
        })
        .unwrap();
    // Objects of the wrong shape are refused as such (422).
    let counts = counts.into_inner();
    eprintln!("statuses: {counts:?}");
    assert!(counts.contains_key(&422), "{counts:?}");
    rt.block_on(stack.stop());
}

#[test]
fn without_a_key_any_body_gets_401() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stack = rt.block_on(TestStack::spawn());
    let routes = json_routes(&stack, &rt);
    let anonymous = stack.api.with_key(None);
    let wrong = stack.api.with_key(Some("hk_not_a_key"));
    let strategy = (prop::sample::select(routes), raw_body(), any::<bool>());
    runner(64)
        .run(&strategy, |((method, path), bytes, keyless)| {
            let client = if keyless { &anonymous } else { &wrong };
            let r = rt.block_on(client.raw(method, &path, Some(bytes.clone().into()), &[]));
            prop_assert_eq!(
                r.status,
                401,
                "{} {} with {} bytes: {}",
                method,
                path,
                bytes.len(),
                r.text
            );
            check_error_body(401, &r.text)
        })
        .unwrap();
    // The admin key still works after all that.
    assert_eq!(rt.block_on(stack.api.get("/api/v1/apps")).status, 200);
    rt.block_on(stack.stop());
}
