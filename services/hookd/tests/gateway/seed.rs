//! Gateway events made without the engine: requests posted to a source with no connection
//! yet and routed (if this build routes), then connections made after them (so routing never
//! gives those events), and events inserted through hookd-db's own functions. Held (`HOLD`) events are never sent by a
//! scheduler, so what a test asserts about them is not raced by delivery.

use crate::helpers::*;
use crate::support::*;
use hookd_db::gateway::events_view::{self, Event};
use serde_json::{json, Value};
use uuid::Uuid;

/// The UUID of a gateway id (`evt_<hex>`).
pub fn uuid_of(id: &str) -> Uuid {
    Uuid::try_parse(id.split_once('_').expect("prefixed id").1).expect("hex uuid")
}

/// A source with `n` accepted requests (bodies `{"n": i}`); their ids, oldest first.
pub async fn source_with_requests(stack: &TestStack, name: &str, n: usize) -> (Value, Vec<String>) {
    let source = ok(call(&stack.api, "POST", "/sources", Some(json!({"name": name}))).await);
    let path = source["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&stack.base)
        .unwrap()
        .to_owned();
    let anonymous = stack.api.with_key(None);
    let mut ids = Vec::new();
    for i in 0..n {
        let r = anonymous
            .raw(
                "POST",
                &path,
                Some(json!({"n": i}).to_string().into()),
                &[("content-type", "application/json")],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        ids.push(r.body["request_id"].as_str().unwrap().to_owned());
    }
    wait_routed(stack, &ids).await;
    (source, ids)
}

/// The router's metric of requests it routed to no event: exported by a router that routes
/// gateway requests (the engine), absent from one that does not.
pub const ROUTING_METRIC: &str = "hookd_gateway_events_ignored_total";

/// Waits until the router has routed these requests, if this build's router routes gateway
/// requests: connections made after this are then never routed to, so what a test makes of
/// them is not raced by routing.
pub async fn wait_routed(stack: &TestStack, request_ids: &[String]) {
    if !hookd_testkit::scrape(stack.router_port)
        .await
        .contains(ROUTING_METRIC)
    {
        return;
    }
    let db = stack.db().await;
    let ids: Vec<Uuid> = request_ids.iter().map(|r| uuid_of(r)).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let left: i64 = db
            .query_one(
                "SELECT count(*) FROM gw_requests WHERE id = ANY($1) AND routed_at IS NULL",
                &[&ids],
            )
            .await
            .unwrap()
            .get(0);
        if left == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{left} requests never routed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A paused connection from the source to a new destination.
pub async fn paused_connection(
    api: &hookd_testkit::ApiClient,
    source: &Value,
    name: &str,
) -> Value {
    let c = ok(call(
        api,
        "POST",
        "/connections",
        Some(json!({
            "name": name,
            "source_id": source["id"],
            "destination": {"name": format!("{name}-dst"), "url": "https://example.com/hook"},
        })),
    )
    .await);
    ok(call(api, "PUT", &format!("/connections/{}/pause", id(&c)), None).await)
}

/// A held event of the request for the connection, inserted as a request retry would.
pub async fn held_event(stack: &TestStack, connection: &Value, request_id: &str) -> String {
    let org = Uuid::parse_str(connection["team_id"].as_str().unwrap()).unwrap();
    let draft = Event::draft(
        org,
        uuid_of(&id(connection)),
        uuid_of(&id(&connection["source"])),
        uuid_of(&id(&connection["destination"])),
        uuid_of(request_id),
        "HOLD",
    );
    let e = events_view::insert_due(&stack.db().await, &draft)
        .await
        .unwrap()
        .expect("no event of this request and connection yet");
    format!("evt_{}", e.id.simple())
}

/// Records a failed try of the event (as delivery would), its next try an hour away.
pub async fn failed_try(stack: &TestStack, event_id: &str, status: i32) {
    let db = stack.db().await;
    let e = uuid_of(event_id);
    db.execute(
        "INSERT INTO gw_attempts (id, organization_id, event_id, destination_id, attempt_number,
            trigger, status, response_status, body, requested_url, http_method, duration_ms)
         SELECT $2, organization_id, id, destination_id, attempts + 1, 'INITIAL', 'FAILED', $3,
            'nope', 'https://example.com/hook', 'POST', 12 FROM gw_events WHERE id = $1",
        &[&e, &hookd_domain::new_id(), &status],
    )
    .await
    .unwrap();
    db.execute(
        "UPDATE gw_events SET status = 'FAILED', attempts = attempts + 1, response_status = $2,
            error_code = NULL, last_attempt_at = now(), next_attempt_at = now() + interval '1 hour'
         WHERE id = $1",
        &[&e, &status],
    )
    .await
    .unwrap();
}
