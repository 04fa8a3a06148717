//! Connections and their actions, events read from the engine's tables, and another
//! organization's ids.

use super::{created_id, source};
use crate::helpers::*;
use crate::support::*;

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
    // The engine makes no event of a disabled connection: the test writes the event and its
    // attempt as the engine would, with values of its choosing.
    let hex = |id: &str| uuid::Uuid::parse_str(&id[4..]).unwrap();
    let db = stack.db().await;
    db.execute(
        "UPDATE gw_connections SET disabled_at = now() WHERE id = $1",
        &[&hex(&conn)],
    )
    .await
    .unwrap();
    let sent = client
        .raw("POST", &format!("/e/{src}"), Some("{}".into()), &[])
        .await;
    let req = sent.body["request_id"].as_str().unwrap().to_owned();
    let event = uuid::Uuid::now_v7();
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
