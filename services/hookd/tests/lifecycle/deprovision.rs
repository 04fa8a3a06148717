//! `DELETE /api/v1/organizations/{id}`: its keys are refused at once, and afterwards no table
//! holds a row of it, while the other organization keeps every row.

use crate::helpers::*;
use crate::org_rows::*;
use crate::support::*;
use hookd_testkit::ApiClient;
use serde_json::{json, Value};
use uuid::Uuid;

fn created_with(r: hookd_testkit::ApiResponse, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.text);
    r.body
}

/// One of every resource of the organization of `b`, messages delivered, a gateway request
/// routed.
async fn populate(stack: &TestStack, b: &ApiClient, org: Uuid) {
    let body = json!({"name": "doomed"}).to_string();
    let app = created_with(
        b.raw(
            "POST",
            "/api/v1/apps",
            Some(body.into()),
            &[("idempotency-key", "k1")],
        )
        .await,
        201,
    );
    let app_id = app["id"].as_str().unwrap();
    let sub_id = subscribed(b, app_id).await;
    let endpoint = created(
        b.post(
            &format!("/api/v1/subscriptions/{sub_id}/endpoints"),
            &json!({"url": stack.receiver.url("/doomed"), "event_types": ["user.created"]}),
        )
        .await,
    );
    let endpoint_id: Uuid = endpoint["id"].as_str().unwrap().parse().unwrap();
    stack.wait_view(|v| v.endpoint(endpoint_id).is_some()).await;
    for n in 0..3 {
        let r = b
            .post(
                &format!("/api/v1/apps/{app_id}/messages"),
                &json!({"event_type": "user.created", "data": {"n": n}}),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
    }
    created(
        b.post(
            &format!("/api/v1/apps/{app_id}/tasks"),
            &json!({"event_type": "user.created", "data": {},
                    "scheduled_run_time": "2099-01-01T00:00:00Z"}),
        )
        .await,
    );
    created(
        b.post(
            &format!("/api/v1/subscriptions/{sub_id}/portal_access"),
            &json!({}),
        )
        .await,
    );
    assert_eq!(b.get("/api/v1/gateway/signing_secret").await.status, 200);
    let c = b
        .raw(
            "POST",
            "/2024-03-01/connections",
            Some(
                json!({"name": "c", "source": {"name": "c-src"},
                       "destination": {"name": "c-dst", "url": stack.receiver.url("/gw")}})
                .to_string()
                .into(),
            ),
            &[],
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let source_url = c.body["source"]["url"].as_str().unwrap();
    let path = source_url.strip_prefix(&stack.base).unwrap();
    let r = stack
        .api
        .with_key(None)
        .raw("POST", path, Some(b"{\"x\":1}".to_vec().into()), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let db = stack.db().await;
    wait_db(
        &db,
        "delivered messages",
        "SELECT count(*) FROM deliveries d JOIN apps a ON a.id = d.app_id
         WHERE a.organization_id = $1 AND d.status = 'succeeded'",
        &[&org],
        3,
    )
    .await;
    wait_db(
        &db,
        "gateway events delivered",
        "SELECT count(*) FROM gw_events WHERE organization_id = $1 AND status = 'SUCCESSFUL'",
        &[&org],
        1,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_organization_refuses_its_keys_at_once_and_leaves_no_row_of_it() {
    let stack = TestStack::spawn_with(|s| s.retention.batch_size = 2).await;
    // The organization that stays: the admin's.
    let (_, kept) = delivered(&stack, 2).await;
    let admin_org: Uuid = stack
        .db()
        .await
        .query_one("SELECT organization_id FROM apps LIMIT 1", &[])
        .await
        .unwrap()
        .get(0);

    let (org_id, b) = new_org(&stack, "doomed").await;
    let second = created(b.post("/api/v1/api_keys", &json!({"name": "ci"})).await);
    let b2 = stack.api.with_key(second["key"].as_str());
    populate(&stack, &b, org_id).await;
    // Both keys work (and are cached) before.
    assert_eq!(b.get("/api/v1/apps").await.status, 200);
    assert_eq!(b2.get("/api/v1/apps").await.status, 200);

    let db = stack.db().await;
    let k = known(&db, org_id).await;
    let before = rows_of(&db, org_id, &k).await;
    for table in [
        "organizations",
        "api_keys",
        "apps",
        "event_types",
        "subscriptions",
        "endpoints",
        "messages",
        "deliveries",
        "attempts",
        "tasks",
        "portal_links",
        "idempotency_keys",
        "gw_sources",
        "gw_destinations",
        "gw_connections",
        "gw_requests",
        "gw_events",
        "gw_attempts",
        "gw_signing_secrets",
    ] {
        assert!(
            before[table] > 0,
            "nothing of the organization in {table}: {before:?}"
        );
    }
    let admin_known = known(&db, admin_org).await;
    let admin_before = rows_of(&db, admin_org, &admin_known).await;
    let kept_before = stored(&stack, kept[0]).await.unwrap();

    // Only the admin key deletes organizations, and not its own.
    assert_error(
        &b.delete(&format!("/api/v1/organizations/{org_id}")).await,
        403,
    );
    assert_error(
        &stack
            .api
            .delete(&format!("/api/v1/organizations/{admin_org}"))
            .await,
        422,
    );
    assert_error(
        &stack
            .api
            .delete(&format!("/api/v1/organizations/{}", Uuid::new_v4()))
            .await,
        404,
    );

    let r = stack
        .api
        .delete(&format!("/api/v1/organizations/{org_id}"))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(r.body["deleting_at"].is_string(), "{}", r.text);
    // Refused at once, whatever the caches held.
    assert_error(&b.get("/api/v1/apps").await, 401);
    assert_error(&b2.get("/api/v1/apps").await, 401);

    wait_db(
        &db,
        "the organization's row",
        "SELECT count(*) FROM organizations WHERE id = $1",
        &[&org_id],
        0,
    )
    .await;
    let after = rows_of(&db, org_id, &k).await;
    let left: Vec<_> = after.iter().filter(|(_, n)| **n > 0).collect();
    assert!(
        left.is_empty(),
        "rows of the deleted organization left: {left:?}"
    );
    assert_eq!(after.len(), before.len());
    assert_error(&b.get("/api/v1/apps").await, 401);
    assert_error(
        &stack
            .api
            .get(&format!("/api/v1/organizations/{org_id}"))
            .await,
        404,
    );

    // The other organization lost nothing.
    assert_eq!(rows_of(&db, admin_org, &admin_known).await, admin_before);
    assert_eq!(stored(&stack, kept[0]).await.unwrap(), kept_before);
    assert_eq!(stack.api.get("/api/v1/apps").await.status, 200);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deprovision_cut_short_by_a_crash_resumes_from_its_mark_after_a_restart() {
    let mut first = TestStack::spawn().await;
    let (org_id, b) = new_org(&first, "crash").await;
    populate(&first, &b, org_id).await;
    let mut db = first.db().await;
    let k = known(&db, org_id).await;
    first.stop_services().await;

    // As a deletion that died half-way: marked, keys gone, a few batches removed, no router.
    let tx = db.transaction().await.unwrap();
    hookd_db::organizations::mark_deleting(&tx, org_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for _ in 0..3 {
        let (progress, _) = hookd_db::deprovision::step(&db, org_id, 0, 1)
            .await
            .unwrap();
        assert!(
            matches!(progress, hookd_db::deprovision::Progress::Deleted(_, 1)),
            "{progress:?}"
        );
    }
    let half = rows_of(&db, org_id, &k).await;
    assert_eq!(half["organizations"], 1);
    assert!(half["messages"] > 0 && half["gw_requests"] > 0, "{half:?}");

    // New services on the same database pick the mark up and finish.
    let second = TestStack::spawn_on(first.settings.clone()).await;
    wait_db(
        &db,
        "the organization's row",
        "SELECT count(*) FROM organizations WHERE id = $1",
        &[&org_id],
        0,
    )
    .await;
    let after = rows_of(&db, org_id, &k).await;
    let left: Vec<_> = after.iter().filter(|(_, n)| **n > 0).collect();
    assert!(
        left.is_empty(),
        "rows of the deleted organization left: {left:?}"
    );
    second.stop().await;
}
