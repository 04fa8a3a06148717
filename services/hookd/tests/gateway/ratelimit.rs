use crate::helpers::*;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_api_is_rate_limited_per_key_but_source_urls_are_not() {
    let stack = TestStack::spawn_with(|s| {
        s.ratelimit.management_per_second = 1;
        s.ratelimit.management_burst = 3;
    })
    .await;
    let source = ok(call(
        &stack.api,
        "POST",
        "/sources",
        Some(serde_json::json!({"name": "s"})),
    )
    .await);
    // The first 429 is the one examined: the bucket refills one token a second, so on a slow
    // machine a later request may pass again.
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..5 {
        let r = call(&stack.api, "GET", "/sources", None).await;
        statuses.push(r.status);
        if r.status == 429 && limited.is_none() {
            limited = Some(r);
        }
    }
    let limited = limited.unwrap_or_else(|| panic!("never limited: {statuses:?}"));
    gw_error(&limited, 429, "TOO_MANY_REQUESTS");
    assert!(limited.headers.get("retry-after").is_some());
    // Providers posting to a source URL carry no key and are not limited by one.
    let path = source["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&stack.base)
        .unwrap()
        .to_owned();
    for _ in 0..5 {
        let r = stack
            .api
            .with_key(None)
            .raw("POST", &path, Some("{}".into()), &[])
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    stack.stop().await;
}
