//! The gateway's console pages: forms that call the gateway API's functions, the source URL,
//! requests with their filters, headers and body, connection actions, events read from the
//! engine's tables, and another organization's ids (404, nothing changes).

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::ApiClient;

/// The id at the end of a 303's location (`/console/sources/src_...`).
fn created_id(r: &hookd_testkit::ApiResponse, under: &str) -> String {
    assert_eq!(r.status, 303, "{}", r.text);
    let location = r.headers["location"].to_str().unwrap();
    location
        .strip_prefix(under)
        .unwrap_or_else(|| panic!("{location} is not under {under}"))
        .to_owned()
}

async fn source(client: &ApiClient, s: &Session, name: &str) -> String {
    let r = s
        .post(
            client,
            "/console/sources",
            &[("name", name), ("description", "")],
        )
        .await;
    created_id(&r, "/console/sources/")
}

#[tokio::test]
async fn a_source_made_in_the_console_shows_its_url_and_its_requests() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let s = login(&client, ADMIN_KEY).await;
    let empty = s.get(&client, "/console/sources").await;
    assert!(empty.text.contains("No sources yet"), "{}", empty.text);

    let id = source(&client, &s, "shop").await;
    assert!(id.starts_with("src_"), "{id}");
    let page = s.get(&client, &format!("/console/sources/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let url = format!("{}/e/{id}", stack.base);
    assert!(
        page.text.contains(&format!("value=\"{url}\"")),
        "{}",
        page.text
    );
    let listed = s.get(&client, "/console/sources").await;
    assert!(listed.text.contains(&url) && listed.text.contains(">shop<"));

    // A provider posts to the URL; the request is listed and shows its header and body.
    let sent = client
        .raw(
            "POST",
            &format!("/e/{id}/orders?x=1"),
            Some(r#"{"order":"A-17"}"#.into()),
            &[("content-type", "application/json"), ("x-shop", "tea")],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let request_id = sent.body["request_id"].as_str().unwrap().to_owned();
    let requests = s.get(&client, "/console/requests").await;
    assert!(requests.text.contains(&request_id), "{}", requests.text);
    let detail = s
        .get(&client, &format!("/console/requests/{request_id}"))
        .await;
    assert_eq!(detail.status, 200);
    for needle in ["x-shop", "tea", "A-17", "/orders", "accepted", "No events"] {
        assert!(detail.text.contains(needle), "{needle}: {}", detail.text);
    }

    // Disabled in the console: the URL rejects, and the filters tell the two apart.
    let r = s
        .post(&client, &format!("/console/sources/{id}/disable"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let rejected = client
        .raw("POST", &format!("/e/{id}"), Some("{}".into()), &[])
        .await;
    assert_eq!(rejected.status, 403, "{}", rejected.text);
    let rejected_id = rejected.body["data"]["request_id"].as_str().unwrap();
    let only_rejected = s.get(&client, "/console/requests?status=rejected").await;
    assert!(only_rejected.text.contains(rejected_id));
    assert!(!only_rejected.text.contains(&request_id));
    assert!(only_rejected.text.contains("SOURCE_DISABLED"));
    let by_cause = s
        .get(&client, "/console/requests?cause=SOURCE_DISABLED")
        .await;
    assert!(by_cause.text.contains(rejected_id) && !by_cause.text.contains(&request_id));
    let only_accepted = s.get(&client, "/console/requests?status=accepted").await;
    assert!(only_accepted.text.contains(&request_id));
    assert!(!only_accepted.text.contains(rejected_id));
    let of_source = s
        .get(&client, &format!("/console/requests?source={id}"))
        .await;
    assert!(of_source.text.contains(rejected_id) && of_source.text.contains(&request_id));
    let other = source(&client, &s, "other").await;
    let of_other = s
        .get(&client, &format!("/console/requests?source={other}"))
        .await;
    assert!(
        of_other.text.contains("No requests match"),
        "{}",
        of_other.text
    );
    let bad = s.get(&client, "/console/requests?status=maybe").await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("role=\"alert\""));

    // The same source through the JSON API: disabled, then enabled and deleted here.
    let api = stack
        .api
        .get(&format!("/2024-03-01/sources/{id}?disabled=true"))
        .await;
    assert!(api.body["disabled_at"].is_string(), "{}", api.text);
    s.post(&client, &format!("/console/sources/{id}/enable"), &[])
        .await;
    let api = stack.api.get(&format!("/2024-03-01/sources/{id}")).await;
    assert!(api.body["disabled_at"].is_null(), "{}", api.text);
    let r = s
        .post(&client, &format!("/console/sources/{id}/delete"), &[])
        .await;
    assert_eq!(r.headers["location"], "/console/sources");
    assert_eq!(
        stack
            .api
            .get(&format!("/2024-03-01/sources/{id}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_bad_name_re_renders_the_form_with_the_apis_message() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let s = login(&client, ADMIN_KEY).await;
    let r = s
        .post(
            &client,
            "/console/sources",
            &[("name", "no spaces allowed")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("role=\"alert\""));
    assert!(r.text.contains("value=\"no spaces allowed\""));
    let r = s
        .post(
            &client,
            "/console/destinations",
            &[("name", "d"), ("url", "ftp://x")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let listed = stack.api.get("/2024-03-01/sources").await;
    assert_eq!(listed.body["count"], 0, "{}", listed.text);
}

#[tokio::test]
async fn connections_pause_unpause_disable_and_show_their_rules() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let s = login(&client, ADMIN_KEY).await;
    let src = source(&client, &s, "billing").await;
    let none = s.get(&client, "/console/connections").await;
    assert!(none.text.contains("needs a"), "{}", none.text);
    let r = s
        .post(
            &client,
            "/console/destinations",
            &[("name", "ledger"), ("url", "https://ledger.example.com/in")],
        )
        .await;
    let dest = created_id(&r, "/console/destinations/");
    let rules = r#"[{"type":"retry","strategy":"linear","count":3,"interval":1000}]"#;
    let r = s
        .post(
            &client,
            "/console/connections",
            &[
                ("name", "to-ledger"),
                ("source_id", &src),
                ("destination_id", &dest),
                ("rules", rules),
            ],
        )
        .await;
    let conn = created_id(&r, "/console/connections/");
    let page = s
        .get(&client, &format!("/console/connections/{conn}"))
        .await;
    assert!(
        page.text.contains("billing -&gt; to-ledger"),
        "{}",
        page.text
    );
    assert!(page
        .text
        .contains("&quot;strategy&quot;: &quot;linear&quot;"));
    let listed = s.get(&client, "/console/connections").await;
    assert!(listed.text.contains("billing</a> → <a"), "{}", listed.text);
    assert!(listed.text.contains("<td>retry</td>"));

    let api_state = |field: &'static str| {
        let api = stack.api.clone();
        let path = format!("/2024-03-01/connections/{conn}");
        async move { api.get(&path).await.body[field].clone() }
    };
    let r = s
        .post(&client, &format!("/console/connections/{conn}/pause"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert!(api_state("paused_at").await.is_string());
    let page = s
        .get(&client, &format!("/console/connections/{conn}"))
        .await;
    assert!(page.text.contains(">Unpause<") && page.text.contains(">paused<"));
    s.post(
        &client,
        &format!("/console/connections/{conn}/unpause"),
        &[],
    )
    .await;
    assert!(api_state("paused_at").await.is_null());
    s.post(
        &client,
        &format!("/console/connections/{conn}/disable"),
        &[],
    )
    .await;
    let page = s
        .get(&client, &format!("/console/connections/{conn}"))
        .await;
    assert!(page.text.contains(">Enable<") && page.text.contains(">disabled<"));

    // Bad rules: the API's 422 in the form, nothing made.
    let r = s
        .post(
            &client,
            "/console/connections",
            &[
                ("name", "other"),
                ("source_id", &src),
                ("destination_id", &dest),
                ("rules", r#"[{"type":"transform"}]"#),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("transformations are not supported"));
}

#[tokio::test]
async fn events_and_attempts_are_read_from_the_engines_tables() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let s = login(&client, ADMIN_KEY).await;
    let empty = s.get(&client, "/console/events").await;
    assert!(empty.text.contains("No events match"), "{}", empty.text);
    let src = source(&client, &s, "crm").await;
    let r = s
        .post(
            &client,
            "/console/destinations",
            &[("name", "sink"), ("url", "https://sink.example.com")],
        )
        .await;
    let dest = created_id(&r, "/console/destinations/");
    let r = s
        .post(
            &client,
            "/console/connections",
            &[
                ("name", "c"),
                ("source_id", &src),
                ("destination_id", &dest),
            ],
        )
        .await;
    let conn = created_id(&r, "/console/connections/");
    let sent = client
        .raw("POST", &format!("/e/{src}"), Some("{}".into()), &[])
        .await;
    let req = sent.body["request_id"].as_str().unwrap().to_owned();
    // What the delivery engine writes (it runs apart from these pages).
    let hex = |id: &str| uuid::Uuid::parse_str(&id[4..]).unwrap();
    let event = uuid::Uuid::now_v7();
    let db = stack.db().await;
    db.execute(
        "INSERT INTO gw_events (id, organization_id, connection_id, source_id, destination_id,
            request_id, status, attempts, response_status)
         SELECT $1, organization_id, id, source_id, destination_id, $2, 'FAILED', 1, 502
         FROM gw_connections WHERE id = $3",
        &[&event, &hex(&req), &hex(&conn)],
    )
    .await
    .unwrap();
    db.execute(
        "INSERT INTO gw_attempts (id, organization_id, event_id, destination_id, attempt_number,
            trigger, status, response_status, body, requested_url, http_method, duration_ms)
         SELECT $1, organization_id, id, destination_id, 1, 'INITIAL', 'FAILED', 502,
            'upstream down', 'https://sink.example.com', 'POST', 87
         FROM gw_events WHERE id = $2",
        &[&uuid::Uuid::now_v7(), &event],
    )
    .await
    .unwrap();
    let evt = format!("evt_{}", event.simple());
    let listed = s.get(&client, "/console/events?status=failed").await;
    assert!(listed.text.contains(&evt), "{}", listed.text);
    assert!(listed.text.contains("crm -&gt; c"));
    let other = s.get(&client, "/console/events?status=successful").await;
    assert!(!other.text.contains(&evt));
    let request = s.get(&client, &format!("/console/requests/{req}")).await;
    assert!(request.text.contains(&evt), "{}", request.text);
    let page = s.get(&client, &format!("/console/events/{evt}")).await;
    assert_eq!(page.status, 200);
    for needle in ["upstream down", "87 ms", "initial", "502", &req] {
        assert!(page.text.contains(needle), "{needle}: {}", page.text);
    }
}

#[tokio::test]
async fn another_organizations_gateway_ids_are_404_and_left_alone() {
    let stack = TestStack::spawn().await;
    let client = browser(&stack);
    let s = login(&client, ADMIN_KEY).await;
    let src = source(&client, &s, "mine").await;
    let r = s
        .post(
            &client,
            "/console/destinations",
            &[("name", "d"), ("url", "https://d.example.com")],
        )
        .await;
    let dest = created_id(&r, "/console/destinations/");
    let r = s
        .post(
            &client,
            "/console/connections",
            &[
                ("name", "c"),
                ("source_id", &src),
                ("destination_id", &dest),
            ],
        )
        .await;
    let conn = created_id(&r, "/console/connections/");
    let sent = client
        .raw("POST", &format!("/e/{src}"), Some("{}".into()), &[])
        .await;
    let req = sent.body["request_id"].as_str().unwrap().to_owned();

    let org = stack
        .api
        .post(
            "/api/v1/organizations",
            &serde_json::json!({"name": unique("org")}),
        )
        .await;
    let theirs = login(&client, org.body["api_key"].as_str().unwrap()).await;
    for path in [
        format!("/console/sources/{src}"),
        format!("/console/destinations/{dest}"),
        format!("/console/connections/{conn}"),
        format!("/console/requests/{req}"),
        "/console/sources/src_nonsense".to_owned(),
    ] {
        let r = theirs.get(&client, &path).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
        assert!(r.text.contains("Not found"));
    }
    for path in [
        format!("/console/sources/{src}/disable"),
        format!("/console/sources/{src}/delete"),
        format!("/console/destinations/{dest}/delete"),
        format!("/console/connections/{conn}/pause"),
        format!("/console/connections/{conn}/delete"),
    ] {
        assert_eq!(theirs.post(&client, &path, &[]).await.status, 404, "{path}");
    }
    let listed = theirs.get(&client, "/console/requests").await;
    assert!(!listed.text.contains(&req));
    // Untouched: still there, enabled, not paused.
    let c = stack
        .api
        .get(&format!("/2024-03-01/connections/{conn}"))
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    assert!(c.body["paused_at"].is_null() && c.body["source"]["disabled_at"].is_null());
    // A post without the CSRF token changes nothing either.
    let r = client
        .raw(
            "POST",
            &format!("/console/sources/{src}/disable"),
            Some(form(&[])),
            &[("cookie", &s.header())],
        )
        .await;
    assert_eq!(r.status, 403);
}
