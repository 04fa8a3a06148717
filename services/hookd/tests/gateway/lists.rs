use crate::helpers::*;
use crate::support::*;
use serde_json::{json, Value};

#[tokio::test]
async fn gateway_lists_page_filter_and_order() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let mut made = Vec::new();
    for n in 0..5 {
        made.push(id(&ok(call(
            api,
            "POST",
            "/sources",
            Some(json!({"name": format!("src-{n}")})),
        )
        .await)));
    }
    // Newest first by default; cursors omitted at the ends.
    let p1 = ok(call(api, "GET", "/sources?limit=2", None).await);
    assert_eq!(ids(&p1), vec![made[4].clone(), made[3].clone()]);
    assert_eq!(p1["count"], 2);
    assert_eq!(p1["pagination"]["limit"], 2);
    assert_eq!(p1["pagination"]["order_by"], "created_at");
    assert_eq!(p1["pagination"]["dir"], "desc");
    assert!(p1["pagination"].get("prev").is_none(), "{p1}");
    let next = p1["pagination"]["next"].as_str().unwrap();
    let p2 = ok(call(api, "GET", &format!("/sources?limit=2&next={next}"), None).await);
    assert_eq!(ids(&p2), vec![made[2].clone(), made[1].clone()]);
    let prev = p2["pagination"]["prev"].as_str().unwrap();
    let back = ok(call(api, "GET", &format!("/sources?limit=2&prev={prev}"), None).await);
    assert_eq!(ids(&back), ids(&p1));
    let last = ok(call(
        api,
        "GET",
        &format!(
            "/sources?limit=2&next={}",
            p2["pagination"]["next"].as_str().unwrap()
        ),
        None,
    )
    .await);
    assert_eq!(ids(&last), vec![made[0].clone()]);
    assert!(last["pagination"].get("next").is_none(), "{last}");

    // Many values: repeated, or with [].
    let two = ok(call(
        api,
        "GET",
        &format!("/sources?id={}&id={}&dir=asc", made[0], made[3]),
        None,
    )
    .await);
    assert_eq!(ids(&two), vec![made[0].clone(), made[3].clone()]);
    let arr = ok(call(
        api,
        "GET",
        &format!("/sources?id[]={}&id[]={}", made[1], made[2]),
        None,
    )
    .await);
    assert_eq!(ids(&arr), vec![made[2].clone(), made[1].clone()]);
    let named = ok(call(api, "GET", "/sources?name=src-3", None).await);
    assert_eq!(ids(&named), vec![made[3].clone()]);
    // A malformed id matches nothing.
    assert!(ids(&ok(call(api, "GET", "/sources?id=garbage", None).await)).is_empty());

    // Dates: a bare date is that day.
    // The day the sources were made (not "now": a test may straddle midnight).
    let today: chrono::NaiveDate = p1["models"][0]["created_at"].as_str().unwrap()[..10]
        .parse()
        .unwrap();
    let tomorrow = today.succ_opt().unwrap();
    let day = |q: String| async move {
        ids(&ok(call(api, "GET", &format!("/sources?{q}"), None).await)).len()
    };
    assert_eq!(day(format!("created_at={today}")).await, 5);
    assert_eq!(day(format!("created_at={tomorrow}")).await, 0);
    assert_eq!(day(format!("created_at[lte]={today}")).await, 5);
    assert_eq!(day(format!("created_at[gt]={today}")).await, 0);
    assert_eq!(day(format!("created_at[gte]={today}")).await, 5);

    // order_by updated_at: the source touched last comes first.
    ok(call(
        api,
        "PUT",
        &format!("/sources/{}", made[0]),
        Some(json!({"description": "x"})),
    )
    .await);
    let by_update = ok(call(api, "GET", "/sources?order_by=updated_at&limit=1", None).await);
    assert_eq!(ids(&by_update), vec![made[0].clone()]);
    assert_eq!(by_update["pagination"]["order_by"], "updated_at");

    for bad in [
        "limit=0",
        "limit=251",
        "order_by=name",
        "dir=sideways",
        "created_at=soon",
        "disabled=maybe",
    ] {
        gw_error(
            &call(api, "GET", &format!("/sources?{bad}"), None).await,
            422,
            "UNPROCESSABLE_ENTITY",
        );
    }
    stack.stop().await;
}

#[tokio::test]
async fn connections_filter_by_full_name_and_ends() {
    let stack = TestStack::spawn().await;
    let api = &stack.api;
    let a = connection(api, "alpha", "https://example.com/a").await;
    let b = connection(api, "beta", "https://example.com/b").await;
    let q = |q: &str| {
        let q = q.to_owned();
        async move {
            ids(&ok(
                call(api, "GET", &format!("/connections?{q}"), None).await
            ))
        }
    };
    assert_eq!(q("full_name=alpha-src%20-%3E%20alpha").await, vec![id(&a)]);
    assert_eq!(q("full_name[contains]=beta-src").await, vec![id(&b)]);
    assert_eq!(
        q(&format!("source_id={}", id(&a["source"]))).await,
        vec![id(&a)]
    );
    assert_eq!(
        q(&format!("destination_id={}", id(&b["destination"]))).await,
        vec![id(&b)]
    );
    assert_eq!(q("name[contains]=ph").await, vec![id(&a)]);
    assert_eq!(q("paused_at[any]=false").await.len(), 2);
    let count: Value = ok(call(api, "GET", "/connections/count?name=beta", None).await);
    assert_eq!(count, json!({"count": 1}));
    stack.stop().await;
}

#[tokio::test]
async fn api_v1_lists_take_the_same_query_forms() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let one = stack.endpoint(&f, "/first-hook", json!({})).await;
    let two = stack
        .endpoint(&f, "/second-hook", json!({"status": "disabled"}))
        .await;
    let list = |q: String| {
        let path = format!("/api/v1/subscriptions/{}/endpoints?{q}", f.subscription_id);
        let api = stack.api.clone();
        async move {
            let r = api.get(&path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            ids(&r.body)
        }
    };
    assert_eq!(list("url[contains]=second".into()).await, vec![id(&two)]);
    assert_eq!(
        list("status[]=enabled&status[]=disabled".into())
            .await
            .len(),
        2
    );
    assert_eq!(list("status=enabled&status=disabled".into()).await.len(), 2);
    let today = &one["created_at"].as_str().unwrap()[..10];
    assert_eq!(list(format!("created_at={today}")).await.len(), 2);
    assert_eq!(list(format!("created_at[lt]={today}")).await.len(), 0);
    let bad = stack
        .api
        .get(&format!(
            "/api/v1/subscriptions/{}/endpoints?status[]=weird",
            f.subscription_id
        ))
        .await;
    assert_error(&bad, 422);
    stack.stop().await;
}
