//! The router's view reloads only on changes that matter to routing, and then reads only the
//! rows that changed (issue 14, item 7).

use crate::helpers::*;
use hookd_router::view::Refreshed;
use hookd_router::RoutingView;
use serde_json::json;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_bookkeeping_reloads_nothing_and_an_edit_reads_one_row() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let a = stack.endpoint(&f, "/a", json!({})).await;
    let b = stack.endpoint(&f, "/b", json!({})).await;
    let a_id: Uuid = a["id"].as_str().unwrap().parse().unwrap();
    let b_id: Uuid = b["id"].as_str().unwrap().parse().unwrap();
    let pool = hookd_db::connect(stack.settings.database.url.expose(), 2).unwrap();
    let view = RoutingView::default();
    let first = view.refresh(&pool).await.unwrap().expect("first load");
    assert!(first.full && first.rows == 2, "{first:?}");
    assert_eq!(view.refresh(&pool).await.unwrap(), None);

    // What the delivery workers write about failures is no routing change.
    let db = stack.db().await;
    hookd_db::endpoints::mark_failing(&db, a_id).await.unwrap();
    hookd_db::endpoints::clear_failing(&db, a_id).await.unwrap();
    hookd_db::endpoints::mark_failing(&db, b_id).await.unwrap();
    assert_eq!(view.refresh(&pool).await.unwrap(), None);

    // A URL change reads that one row.
    let patched = stack
        .api
        .patch(
            &format!(
                "/api/v1/subscriptions/{}/endpoints/{a_id}",
                f.subscription_id
            ),
            &json!({"url": stack.receiver.url("/a2")}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let edit = view
        .refresh(&pool)
        .await
        .unwrap()
        .expect("the edit is seen");
    assert_eq!(
        edit,
        Refreshed {
            rows: 1,
            deleted: 0,
            full: false
        }
    );
    assert!(view.snapshot().endpoint(a_id).unwrap().url.ends_with("/a2"));
    assert_eq!(
        view.snapshot()
            .matching(Uuid::parse_str(&f.app_id).unwrap(), "user.created", "1.0")
            .len(),
        2
    );

    // A deletion is a tombstone: the endpoint leaves the view and its app's index.
    let deleted = stack
        .api
        .delete(&format!(
            "/api/v1/subscriptions/{}/endpoints/{b_id}",
            f.subscription_id
        ))
        .await;
    assert!(deleted.status < 300, "{}", deleted.text);
    let gone = view
        .refresh(&pool)
        .await
        .unwrap()
        .expect("the deletion is seen");
    assert_eq!((gone.rows, gone.deleted, gone.full), (0, 1, false));
    let snapshot = view.snapshot();
    assert!(snapshot.endpoint(b_id).is_none());
    let app = Uuid::parse_str(&f.app_id).unwrap();
    let left: Vec<Uuid> = snapshot
        .matching(app, "user.created", "1.0")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, vec![a_id]);
    stack.stop().await;
}
