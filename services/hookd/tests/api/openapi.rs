//! Every route of API.md is in the OpenAPI document, with its bodies, and the document is
//! served without a key.

use crate::helpers::*;
use serde_json::Value;

/// Whether a route takes a JSON body (`Req`), returns one (`Resp`), both, or neither.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Bodies {
    Both,
    Resp,
    /// DELETE: 204, no body either way.
    NoContent,
}
use Bodies::*;

/// Every (method, path) of API.md under `/api/v1`, with `{}` for each path parameter.
///
/// Tasks (`POST/GET /apps/{}/tasks`, `GET/DELETE /tasks/{}`) are added by the tasks work:
/// append them here when `routes/tasks.rs` lands.
const ROUTES: &[(&str, &str, Bodies)] = &[
    ("POST", "/organizations", Both),
    ("GET", "/organizations", Resp),
    ("GET", "/organizations/{}", Resp),
    ("PATCH", "/organizations/{}", Both),
    ("DELETE", "/organizations/{}", Resp),
    ("POST", "/api_keys", Both),
    ("GET", "/api_keys", Resp),
    ("DELETE", "/api_keys/{}", NoContent),
    ("POST", "/apps", Both),
    ("GET", "/apps", Resp),
    ("GET", "/apps/{}", Resp),
    ("PATCH", "/apps/{}", Both),
    ("DELETE", "/apps/{}", NoContent),
    ("POST", "/apps/{}/event_types", Both),
    ("GET", "/apps/{}/event_types", Resp),
    ("GET", "/apps/{}/event_types/{}", Resp),
    ("PATCH", "/apps/{}/event_types/{}", Both),
    ("DELETE", "/apps/{}/event_types/{}", NoContent),
    ("POST", "/apps/{}/subscriptions", Both),
    ("GET", "/apps/{}/subscriptions", Resp),
    ("GET", "/subscriptions/{}", Resp),
    ("PATCH", "/subscriptions/{}", Both),
    ("DELETE", "/subscriptions/{}", NoContent),
    ("POST", "/subscriptions/{}/endpoints", Both),
    ("GET", "/subscriptions/{}/endpoints", Resp),
    ("GET", "/subscriptions/{}/endpoints/{}", Resp),
    ("PATCH", "/subscriptions/{}/endpoints/{}", Both),
    ("DELETE", "/subscriptions/{}/endpoints/{}", NoContent),
    ("GET", "/subscriptions/{}/endpoints/{}/secret", Resp),
    ("POST", "/subscriptions/{}/endpoints/{}/secret/rotate", Both),
    ("POST", "/apps/{}/messages", Both),
    ("POST", "/app/{}/messages", Both),
    ("POST", "/subscriptions/{}/endpoints/{}/messages", Both),
    ("GET", "/apps/{}/messages", Resp),
    ("GET", "/messages/{}", Resp),
    ("DELETE", "/messages/{}/content", NoContent),
    ("GET", "/messages/{}/deliveries", Resp),
    ("GET", "/endpoints/{}/deliveries", Resp),
    ("POST", "/deliveries/{}/retry", Resp),
    ("POST", "/apps/{}/deliveries/retry", Both),
    ("POST", "/endpoints/{}/recover", Both),
    ("POST", "/endpoints/{}/replay_missing", Both),
    ("GET", "/deliveries/{}/attempts", Resp),
    ("GET", "/endpoints/{}/attempts", Resp),
    ("GET", "/gateway/signing_secret", Resp),
    ("POST", "/gateway/signing_secret/rotate", Resp),
];

/// `/api/v1/apps/{app_id}` → `/apps/{}`.
fn normalise(path: &str) -> String {
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// The operation of `method` on the document path that normalises to `path`.
fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> Option<(&'a str, &'a Value)> {
    doc["paths"].as_object()?.iter().find_map(|(p, item)| {
        (normalise(p) == path)
            .then(|| {
                item.get(method.to_ascii_lowercase())
                    .map(|op| (p.as_str(), op))
            })
            .flatten()
    })
}

fn json_schema(content: &Value) -> Option<&Value> {
    content
        .get("content")?
        .get("application/json")?
        .get("schema")
}

/// Every missing or incomplete route, described.
fn problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for &(method, path, bodies) in ROUTES {
        let Some((doc_path, op)) = operation(doc, method, path) else {
            problems.push(format!("{method} /api/v1{path} is not in the document"));
            continue;
        };
        // Every path parameter is documented as a parameter.
        let params: Vec<&str> = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
            .unwrap_or_default();
        for name in doc_path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        {
            if !params.contains(&name) {
                problems.push(format!(
                    "{method} {doc_path}: parameter {name} undocumented"
                ));
            }
        }
        let responses = op["responses"].as_object().cloned().unwrap_or_default();
        let success: Vec<(&String, &Value)> = responses
            .iter()
            .filter(|(code, _)| code.starts_with('2'))
            .collect();
        if success.is_empty() {
            problems.push(format!("{method} {doc_path}: no 2xx response"));
        }
        match bodies {
            NoContent => {
                if !responses.contains_key("204") {
                    problems.push(format!("{method} {doc_path}: no 204 response"));
                }
            }
            Both | Resp => {
                if !success.iter().any(|(_, r)| json_schema(r).is_some()) {
                    problems.push(format!("{method} {doc_path}: no response schema"));
                }
            }
        }
        if bodies == Both && op.get("requestBody").and_then(json_schema).is_none() {
            problems.push(format!("{method} {doc_path}: no request body schema"));
        }
        // Lists document their pagination and the created_at filters.
        let is_list = success
            .iter()
            .any(|(_, r)| json_schema(r).is_some_and(|s| s.to_string().contains("ListResponse")));
        if method == "GET" && is_list {
            for query in [
                "limit",
                "order_by",
                "dir",
                "next",
                "prev",
                "created_at[gte]",
                "created_at[lte]",
            ] {
                if !params.contains(&query) {
                    problems.push(format!(
                        "{method} {doc_path}: list parameter {query} undocumented"
                    ));
                }
            }
        }
        // Errors are documented in the error format.
        for (code, r) in responses.iter().filter(|(c, _)| c.starts_with('4')) {
            let schema = json_schema(r).map(Value::to_string).unwrap_or_default();
            if !schema.contains("ErrorBody") {
                problems.push(format!("{method} {doc_path}: {code} is not an ErrorBody"));
            }
        }
    }
    problems
}

#[test]
fn every_route_of_api_md_is_documented_with_its_bodies() {
    let doc = serde_json::to_value(hookd_ingest::openapi::document()).unwrap();
    let problems = problems(&doc);
    assert!(
        problems.is_empty(),
        "OpenAPI gaps:\n{}",
        problems.join("\n")
    );
    // Routes need a key, by either scheme of API.md.
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["basic"]["scheme"], "basic");
    let security = doc["security"].to_string();
    assert!(
        security.contains("bearer") && security.contains("basic"),
        "no global security requirement: {security}"
    );
}

#[test]
fn the_check_finds_a_missing_route() {
    // The check itself can fail: drop one path from a real document and it is reported.
    let mut doc = serde_json::to_value(hookd_ingest::openapi::document()).unwrap();
    doc["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/api/v1/deliveries/{delivery_id}/retry")
        .expect("the retry route is documented under this path");
    let problems = problems(&doc);
    assert_eq!(
        problems,
        vec!["POST /api/v1/deliveries/{}/retry is not in the document".to_owned()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_served_without_a_key() {
    let stack = TestStack::spawn().await;
    let r = stack.api.with_key(None).get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(
        r.body,
        serde_json::to_value(hookd_ingest::openapi::document()).unwrap(),
        "the served document is not the generated one"
    );
    assert!(problems(&r.body).is_empty());
    stack.stop().await;
}

#[test]
fn the_idempotency_and_request_id_headers_are_documented() {
    let doc = serde_json::to_value(hookd_ingest::openapi::document()).unwrap();
    let names = |op: &Value| -> Vec<String> {
        op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "header")
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect()
    };
    let (_, create) = operation(&doc, "post", "/apps").expect("POST /apps");
    assert!(
        names(create).contains(&"Idempotency-Key".to_owned()),
        "{create}"
    );
    assert!(names(create).contains(&"X-Request-Id".to_owned()));
    assert!(create["responses"]["409"].is_object(), "{create}");
    let (_, list) = operation(&doc, "get", "/apps").expect("GET /apps");
    assert_eq!(names(list), vec!["X-Request-Id".to_owned()]);
    // A POST without a body still answers 422 to a malformed key (found by `make fuzz`).
    for path in [
        "/deliveries/{}/retry",
        "/gateway/signing_secret/rotate",
        "/subscriptions/{}/portal_access/expire_all",
    ] {
        let (_, op) = operation(&doc, "post", path).expect(path);
        assert!(op["responses"]["422"].is_object(), "{path}: {op}");
    }
}

/// An endpoint's payload filter (issue 18) is in the body it is created and changed with and
/// in the endpoint answered, from the same types that parse and serialise it.
#[test]
fn the_endpoint_filter_is_documented_in_and_out() {
    let doc = serde_json::to_value(hookd_ingest::openapi::document()).unwrap();
    let schemas = &doc["components"]["schemas"];
    for name in ["EndpointInput", "Endpoint"] {
        let filter = &schemas[name]["properties"]["filter"];
        assert!(
            filter.is_object(),
            "{name} has no filter: {}",
            schemas[name]
        );
        assert!(
            filter["description"]
                .as_str()
                .is_some_and(|d| d.contains("event_type")),
            "{name}.filter undocumented: {filter}"
        );
    }
}

/// What the OpenAPI specification requires of every operation, which client generators and
/// validators rely on (issue 16): each response described, each operation id unique.
fn spec_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids = std::collections::HashMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            for (code, r) in responses {
                if r["description"].as_str().is_none_or(str::is_empty) {
                    problems.push(format!("{method} {path}: {code} has no description"));
                }
            }
            match op["operationId"].as_str() {
                None => problems.push(format!("{method} {path}: no operationId")),
                Some(id) => {
                    if let Some(other) = ids.insert(id.to_owned(), format!("{method} {path}")) {
                        problems.push(format!("operationId {id} of {method} {path} and {other}"));
                    }
                }
            }
        }
    }
    problems
}

#[test]
fn every_response_is_described_and_every_operation_id_unique() {
    let mut doc = serde_json::to_value(hookd_ingest::openapi::document()).unwrap();
    let problems = spec_problems(&doc);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let (_, create) = operation(&doc, "post", "/apps").expect("POST /apps");
    assert_eq!(create["operationId"], "apps_create");
    // The check can fail: a response without its description is reported.
    let apps = &mut doc["paths"]["/api/v1/apps"]["post"]["responses"]["201"];
    apps.as_object_mut().unwrap().remove("description");
    assert_eq!(
        spec_problems(&doc),
        vec!["post /api/v1/apps: 201 has no description".to_owned()]
    );
}
