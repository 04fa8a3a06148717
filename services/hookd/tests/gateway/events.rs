//! `/events`, `/attempts` and a request's events: lists and filters, data, retry and mute.

use crate::helpers::*;
use crate::seed::*;
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn events_are_listed_filtered_paged_and_read_with_their_data() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let (source, requests) = source_with_requests(&stack, "shop", 3).await;
    let a = paused_connection(api, &source, "a").await;
    let b = paused_connection(api, &source, "b").await;
    let mut a_events = Vec::new();
    for r in &requests {
        a_events.push(held_event(&stack, &a, r).await);
    }
    let b_event = held_event(&stack, &b, &requests[0]).await;
    failed_try(&stack, &a_events[2], 503).await;

    let all = ok(call(api, "GET", "/events", None).await);
    assert_eq!(all["count"], 4);
    // Newest first by default.
    assert_eq!(ids(&all)[0], b_event);
    let only_a = ok(call(api, "GET", &format!("/events?webhook_id={}", id(&a)), None).await);
    let mut got = ids(&only_a);
    got.sort();
    let mut want = a_events.clone();
    want.sort();
    assert_eq!(got, want);
    for (query, want) in [
        ("status=FAILED", vec![a_events[2].clone()]),
        ("attempts[gte]=1", vec![a_events[2].clone()]),
        ("response_status=503", vec![a_events[2].clone()]),
        ("last_attempt_at[any]=true", vec![a_events[2].clone()]),
        (
            &format!("id={}&id[]={}", a_events[0], b_event),
            vec![b_event.clone(), a_events[0].clone()],
        ),
        ("status=SUCCESSFUL", vec![]),
        ("webhook_id=web_nothing", vec![]),
    ] {
        let page = ok(call(api, "GET", &format!("/events?{query}"), None).await);
        assert_eq!(ids(&page), want, "{query}");
    }
    let r = call(api, "GET", "/events?status=LOST", None).await;
    gw_error(&r, 422, "UNPROCESSABLE_ENTITY");
    let r = call(api, "GET", "/events?order_by=name", None).await;
    gw_error(&r, 422, "UNPROCESSABLE_ENTITY");

    // Pages of two, forwards then back.
    let first = ok(call(api, "GET", "/events?limit=2&dir=asc", None).await);
    assert_eq!(ids(&first), a_events[..2].to_vec());
    assert!(first["pagination"].get("prev").is_none());
    let next = first["pagination"]["next"].as_str().unwrap();
    let second = ok(call(
        api,
        "GET",
        &format!("/events?limit=2&dir=asc&next={next}"),
        None,
    )
    .await);
    assert_eq!(ids(&second), vec![a_events[2].clone(), b_event.clone()]);
    assert!(second["pagination"].get("next").is_none());
    let prev = second["pagination"]["prev"].as_str().unwrap();
    let back = ok(call(
        api,
        "GET",
        &format!("/events?limit=2&dir=asc&prev={prev}"),
        None,
    )
    .await);
    assert_eq!(ids(&back), ids(&first));
    // By last try: the tried one first, descending.
    let by_try = ok(call(api, "GET", "/events?order_by=last_attempt_at", None).await);
    assert_eq!(ids(&by_try)[0], a_events[2]);
    assert_eq!(by_try["pagination"]["order_by"], "last_attempt_at");

    // Data on retrieve and with include=data only.
    assert!(all["models"][0].get("data").is_none());
    let one = ok(call(api, "GET", &format!("/events/{}", a_events[1]), None).await);
    assert_eq!(one["data"]["body"], json!({"n": 1}));
    assert_eq!(one["webhook_id"], a["id"]);
    assert_eq!(one["source_id"], source["id"]);
    assert_eq!(one["destination_id"], a["destination"]["id"]);
    assert_eq!(one["request_id"], json!(requests[1]));
    assert_eq!(one["status"], "HOLD");
    let with = ok(call(api, "GET", "/events?include=data&limit=1", None).await);
    assert_eq!(with["models"][0]["data"]["body"], json!({"n": 0}));
    let raw = ok(call(
        api,
        "GET",
        &format!("/events/{}/raw_body", a_events[1]),
        None,
    )
    .await);
    assert_eq!(raw["body"], r#"{"n":1}"#);

    // A request's events and ignored events.
    let of_req = ok(call(
        api,
        "GET",
        &format!("/requests/{}/events", requests[0]),
        None,
    )
    .await);
    let mut got = ids(&of_req);
    got.sort();
    let mut want = vec![a_events[0].clone(), b_event.clone()];
    want.sort();
    assert_eq!(got, want);
    let filtered = ok(call(
        api,
        "GET",
        &format!("/requests/{}/events?webhook_id={}", requests[0], id(&b)),
        None,
    )
    .await);
    assert_eq!(ids(&filtered), vec![b_event.clone()]);
    let ignored = ok(call(
        api,
        "GET",
        &format!("/requests/{}/ignored_events", requests[0]),
        None,
    )
    .await);
    // A source with no connection makes no ignored event: NO_CONNECTION is the request's cause.
    assert_eq!(ignored["count"], json!(0), "{ignored}");

    // Attempts: of an event, and one by id.
    let attempts = ok(call(
        api,
        "GET",
        &format!("/attempts?event_id={}", a_events[2]),
        None,
    )
    .await);
    assert_eq!(attempts["count"], 1);
    let attempt = &attempts["models"][0];
    assert!(id(attempt).starts_with("atm_"));
    assert_eq!(attempt["event_id"], json!(a_events[2]));
    assert_eq!(attempt["response_status"], 503);
    assert_eq!(attempt["trigger"], "INITIAL");
    assert_eq!(attempt["status"], "FAILED");
    assert_eq!(attempt["body"], "nope");
    let again = ok(call(api, "GET", &format!("/attempts/{}", id(attempt)), None).await);
    assert_eq!(again["id"], attempt["id"]);
    let none = ok(call(
        api,
        "GET",
        &format!("/attempts?event_id={}", a_events[0]),
        None,
    )
    .await);
    assert_eq!(none["count"], 0);
    for path in [
        "/events/evt_nope",
        "/attempts/atm_nope",
        "/events/req_0/raw_body",
    ] {
        gw_error(&call(api, "GET", path, None).await, 404, "NOT_FOUND");
    }
    stack.stop().await;
}

#[tokio::test]
async fn a_retry_marks_the_event_due_for_a_manual_try_and_mute_stops_automatic_ones() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let (source, requests) = source_with_requests(&stack, "rt", 4).await;
    let c = paused_connection(api, &source, "rt").await;
    let untried = held_event(&stack, &c, &requests[0]).await;
    let failed = held_event(&stack, &c, &requests[1]).await;
    let retried = held_event(&stack, &c, &requests[2]).await;
    failed_try(&stack, &failed, 500).await;

    let r = ok(call(api, "POST", &format!("/events/{retried}/retry"), None).await);
    assert_eq!(r["event"]["id"], json!(retried));
    assert_eq!(r["event"]["status"], "QUEUED");
    assert!(r["event"]["next_attempt_at"].is_string(), "{r}");
    assert!(r["attempt"].is_null());
    assert_eq!(r["event"]["data"]["body"], json!({"n": 2}));
    // Marked for the scheduler: still due as MANUAL, or already tried as MANUAL.
    let db = stack.db().await;
    let e = uuid_of(&retried);
    let row = db
        .query_one(
            "SELECT next_trigger, queued, next_bulk_retry_id IS NULL,
                EXISTS (SELECT 1 FROM gw_attempts WHERE event_id = $1 AND trigger = 'MANUAL')
             FROM gw_events WHERE id = $1",
            &[&e],
        )
        .await
        .unwrap();
    let (trigger, queued, no_bulk, tried): (String, bool, bool, bool) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert!(
        tried || (trigger == "MANUAL" && no_bulk),
        "{trigger} {queued}"
    );

    // Mute: the untried one ends FAILED (CANCELLED); the failed one keeps its state, no retry.
    let m = ok(call(api, "PUT", &format!("/events/{untried}/mute"), None).await);
    assert_eq!(m["status"], "FAILED");
    assert_eq!(m["error_code"], "CANCELLED");
    assert!(m["next_attempt_at"].is_null());
    let before = ok(call(api, "GET", &format!("/events/{failed}"), None).await);
    assert!(before["next_attempt_at"].is_string());
    let m = ok(call(api, "PUT", &format!("/events/{failed}/mute"), None).await);
    assert_eq!(m["status"], "FAILED");
    assert_eq!(m["response_status"], 500);
    assert!(m["error_code"].is_null());
    assert!(m["next_attempt_at"].is_null(), "{m}");
    let muted: bool = db
        .query_one(
            "SELECT muted_at IS NOT NULL FROM gw_events WHERE id = $1",
            &[&uuid_of(&failed)],
        )
        .await
        .unwrap()
        .get(0);
    assert!(muted);
    // Muting twice changes nothing more.
    let twice = ok(call(api, "PUT", &format!("/events/{failed}/mute"), None).await);
    assert_eq!(twice["status"], "FAILED");
    let listed = ok(call(api, "GET", "/events?error_code=CANCELLED", None).await);
    assert_eq!(ids(&listed), vec![untried.clone()]);
    // In flight (a job on the bus, its lease an hour away): the try finishes, none follows.
    let flying = held_event(&stack, &c, &requests[3]).await;
    db.execute(
        "UPDATE gw_events SET status = 'QUEUED', queued = true,
            next_attempt_at = now() + interval '1 hour' WHERE id = $1",
        &[&uuid_of(&flying)],
    )
    .await
    .unwrap();
    let m = ok(call(api, "PUT", &format!("/events/{flying}/mute"), None).await);
    assert_eq!(m["status"], "QUEUED", "{m}");
    assert!(m["error_code"].is_null());
    assert!(m["next_attempt_at"].is_string(), "the lease stays: {m}");
    stack.stop().await;
}

#[tokio::test]
async fn a_request_retry_makes_events_for_connections_that_had_none() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let (source, requests) = source_with_requests(&stack, "rr", 1).await;
    let rid = &requests[0];
    let held = paused_connection(api, &source, "held").await;
    let live = ok(call(
        api,
        "POST",
        "/connections",
        Some(json!({"name": "live", "source_id": source["id"],
            "destination": {"name": "live-dst", "url": "https://example.com/live"}})),
    )
    .await);
    let off = paused_connection(api, &source, "off").await;
    ok(call(
        api,
        "PUT",
        &format!("/connections/{}/disable", id(&off)),
        None,
    )
    .await);

    // Bad input: 422, nothing made.
    let before = stack.row_counts().await;
    for body in [
        json!({"webhook_ids": ["web_nope"]}),
        json!({"webhook_ids": [id(&held), "src_x"]}),
        json!({"webhook_ids": "all"}),
    ] {
        let r = call(
            api,
            "POST",
            &format!("/requests/{rid}/retry"),
            Some(body.clone()),
        )
        .await;
        gw_error(&r, 422, "UNPROCESSABLE_ENTITY");
    }
    let none = ok(call(api, "GET", &format!("/requests/{rid}/events"), None).await);
    assert_eq!(none["count"], 0, "{none}");
    stack
        .assert_rows_unchanged(&before, &[], "a refused request retry")
        .await;

    let r = ok(call(
        api,
        "POST",
        &format!("/requests/{rid}/retry"),
        Some(json!({"webhook_ids": [id(&held)]})),
    )
    .await);
    assert_eq!(r["request"]["id"], json!(rid));
    let made = r["events"].as_array().unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0]["webhook_id"], held["id"]);
    assert_eq!(made[0]["status"], "HOLD");
    assert_eq!(r["request"]["events_count"], 1);
    // All: only the live one is new (the held one has its event; the disabled one is skipped).
    let r = ok(call(
        api,
        "POST",
        &format!("/requests/{rid}/retry"),
        Some(json!({"webhook_ids": []})),
    )
    .await);
    let made = r["events"].as_array().unwrap();
    assert_eq!(made.len(), 1, "{r}");
    assert_eq!(made[0]["webhook_id"], live["id"]);
    assert_eq!(made[0]["status"], "QUEUED");
    assert!(made[0]["next_attempt_at"].is_string());
    assert_eq!(r["request"]["events_count"], 2);
    let r = ok(call(api, "POST", &format!("/requests/{rid}/retry"), None).await);
    assert_eq!(r["events"], json!([]));
    let all = ok(call(api, "GET", &format!("/requests/{rid}/events"), None).await);
    assert_eq!(all["count"], 2);
    gw_error(
        &call(api, "POST", "/requests/req_nope/retry", None).await,
        404,
        "NOT_FOUND",
    );
    stack.stop().await;
}

#[tokio::test]
async fn another_organizations_events_attempts_and_bulk_retries_are_not_found() {
    let stack = TestStack::spawn().await;
    let mine = &stack.api;
    let theirs = other_org(&stack).await;
    let (source, requests) = source_with_requests(&stack, "priv", 1).await;
    let c = paused_connection(mine, &source, "priv").await;
    let e = held_event(&stack, &c, &requests[0]).await;
    failed_try(&stack, &e, 500).await;
    let attempts = ok(call(mine, "GET", &format!("/attempts?event_id={e}"), None).await);
    let atm = id(&attempts["models"][0]);
    let bulk = ok(call(
        mine,
        "POST",
        "/bulk/events/retry",
        Some(json!({"query": {"status": "SUCCESSFUL"}})),
    )
    .await);
    let bch = id(&bulk);
    let rid = &requests[0];
    for (method, path) in [
        ("GET", format!("/events/{e}")),
        ("GET", format!("/events/{e}/raw_body")),
        ("POST", format!("/events/{e}/retry")),
        ("PUT", format!("/events/{e}/mute")),
        ("GET", format!("/attempts/{atm}")),
        ("GET", format!("/requests/{rid}/events")),
        ("GET", format!("/requests/{rid}/ignored_events")),
        ("POST", format!("/requests/{rid}/retry")),
        ("GET", format!("/bulk/events/retry/{bch}")),
        ("POST", format!("/bulk/events/retry/{bch}/cancel")),
    ] {
        let r = call(&theirs, method, &path, None).await;
        gw_error(&r, 404, "NOT_FOUND");
    }
    for path in [
        "/events".to_owned(),
        format!("/attempts?event_id={e}"),
        "/bulk/events/retry".to_owned(),
    ] {
        assert!(
            ids(&ok(call(&theirs, "GET", &path, None).await)).is_empty(),
            "{path}"
        );
    }
    let plan = ok(call(&theirs, "GET", "/bulk/events/retry/plan", None).await);
    assert_eq!(plan["estimated_count"], 0);
    // Nothing of mine changed.
    let still = ok(call(mine, "GET", &format!("/events/{e}"), None).await);
    assert_eq!(still["status"], "FAILED");
    assert!(still["next_attempt_at"].is_string());
    let b = ok(call(mine, "GET", &format!("/bulk/events/retry/{bch}"), None).await);
    assert!(b["cancelled_at"].is_null());
    stack.stop().await;
}
