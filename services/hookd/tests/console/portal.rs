//! The portal: entered by link only, limited to its subscription (every other id is a 404,
//! bulk retry too); read-only, expired and revoked links in `portal_links`.

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::{ApiClient, ApiResponse, Behavior};
use serde_json::{json, Value};
use std::time::Duration;

/// A portal session: its cookie and CSRF token.
pub(crate) struct Portal {
    cookie: String,
    csrf: String,
}

impl Portal {
    pub(crate) async fn open(client: &ApiClient, link: &Value) -> Portal {
        let token = link["token"].as_str().unwrap();
        let r = client.get(&format!("/portal/access?token={token}")).await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(r.headers["location"], "/portal/endpoints");
        let set = set_cookie(&r, "hookd_portal").expect("portal cookie");
        for flag in ["HttpOnly", "Path=/portal", "SameSite=Lax"] {
            assert!(set.contains(flag), "{set}");
        }
        let cookie = format!("hookd_portal={}", cookie_value(&set));
        let page = client
            .raw("GET", "/portal/messages", None, &[("cookie", &cookie)])
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        Portal {
            csrf: csrf_of(&page.text),
            cookie,
        }
    }

    pub(crate) async fn get(&self, client: &ApiClient, path: &str) -> ApiResponse {
        client
            .raw("GET", path, None, &[("cookie", &self.cookie)])
            .await
    }

    pub(crate) async fn post(
        &self,
        client: &ApiClient,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResponse {
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &self.csrf)];
        all.extend_from_slice(pairs);
        client
            .raw("POST", path, Some(form(&all)), &[("cookie", &self.cookie)])
            .await
    }
}

pub(crate) struct World {
    pub(crate) stack: TestStack,
    pub(crate) mine: Value,
    pub(crate) theirs: Value,
    pub(crate) my_message: String,
    pub(crate) their_message: String,
    pub(crate) f: Fixture,
    pub(crate) their_sub: String,
}

/// Two subscriptions of one app, an endpoint each (both failing), a message to each.
pub(crate) async fn world() -> World {
    let stack = TestStack::spawn().await;
    stack.receiver.set("/mine", Behavior::Status(500));
    stack.receiver.set("/theirs", Behavior::Status(500));
    let f = stack.fixture().await;
    let mine = stack.endpoint(&f, "/mine", json!({})).await;
    let their_sub = created(
        stack
            .api
            .post(
                &format!("/api/v1/apps/{}/subscriptions", f.app_id),
                &json!({"name": "other"}),
            )
            .await,
    );
    let their_sub = their_sub["id"].as_str().unwrap().to_owned();
    let other = Fixture {
        app_id: f.app_id.clone(),
        subscription_id: their_sub.clone(),
    };
    let theirs = stack
        .endpoint(&other, "/theirs", json!({"event_types": ["user.deleted"]}))
        .await;
    let my_message = stack
        .send(
            &f,
            json!({"event_type": "user.created", "data": {"to": "me"}}),
        )
        .await;
    let their_message = stack
        .send(
            &f,
            json!({"event_type": "user.deleted", "data": {"to": "them"}}),
        )
        .await;
    stack
        .eventually(
            &format!("/api/v1/apps/{}/messages?status=failed", f.app_id),
            Duration::from_secs(20),
            |b| b["count"] == 2,
        )
        .await;
    World {
        mine,
        theirs,
        my_message: my_message.body["id"].as_str().unwrap().to_owned(),
        their_message: their_message.body["id"].as_str().unwrap().to_owned(),
        f,
        their_sub,
        stack,
    }
}

pub(crate) async fn link(stack: &TestStack, sub: &str, body: Value) -> Value {
    created(
        stack
            .api
            .post(&format!("/api/v1/subscriptions/{sub}/portal_access"), &body)
            .await,
    )
}

async fn attempts_of(stack: &TestStack, endpoint: &Value) -> i64 {
    let r = stack
        .api
        .get(&format!(
            "/api/v1/endpoints/{}/deliveries",
            endpoint["id"].as_str().unwrap()
        ))
        .await;
    r.body["models"][0]["attempt_count"].as_i64().unwrap()
}

#[tokio::test]
async fn a_portal_sees_and_changes_only_its_own_subscription() {
    let w = world().await;
    let client = browser(&w.stack);
    let p = Portal::open(
        &client,
        &link(&w.stack, &w.f.subscription_id, json!({})).await,
    )
    .await;
    let my_url = w.mine["url"].as_str().unwrap();
    let their_url = w.theirs["url"].as_str().unwrap();
    let list = p.get(&client, "/portal/endpoints").await;
    assert!(
        list.text.contains(my_url) && !list.text.contains(their_url),
        "{}",
        list.text
    );
    let log = p.get(&client, "/portal/messages").await;
    assert!(log.text.contains(&w.my_message) && !log.text.contains(&w.their_message));
    let mine = w.mine["id"].as_str().unwrap();
    let theirs = w.theirs["id"].as_str().unwrap();
    assert_eq!(
        p.get(&client, &format!("/portal/endpoints/{mine}"))
            .await
            .status,
        200
    );
    assert_eq!(
        p.get(&client, &format!("/portal/messages/{}", w.my_message))
            .await
            .status,
        200
    );
    // Every route with another subscription's ids is a 404, and changes nothing.
    for path in [
        format!("/portal/endpoints/{theirs}"),
        format!("/portal/endpoints/{theirs}/edit"),
        format!("/portal/messages/{}", w.their_message),
    ] {
        let r = p.get(&client, &path).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(r.text.contains("Not found"));
    }
    for action in ["delete", "status", "rotate", "secret", "test"] {
        let r = p
            .post(
                &client,
                &format!("/portal/endpoints/{theirs}/{action}"),
                &[("status", "disabled")],
            )
            .await;
        assert_eq!(r.status, 404, "{action}: {}", r.text);
    }
    let r = p
        .post(
            &client,
            &format!("/portal/endpoints/{theirs}/edit"),
            &[("url", "http://x.example"), ("event_types", "user.created")],
        )
        .await;
    assert_eq!(r.status, 404);
    let their_delivery = w
        .stack
        .api
        .get(&format!("/api/v1/messages/{}/deliveries", w.their_message))
        .await;
    let their_delivery = their_delivery.body["models"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = p
        .post(
            &client,
            &format!(
                "/portal/messages/{}/deliveries/{their_delivery}/retry",
                w.my_message
            ),
            &[],
        )
        .await;
    assert_eq!(r.status, 404);
    let their_endpoint = w
        .stack
        .api
        .get(&format!(
            "/api/v1/subscriptions/{}/endpoints/{theirs}",
            w.their_sub
        ))
        .await;
    assert_eq!(their_endpoint.status, 200, "still there");
    assert_eq!(their_endpoint.body["status"], "enabled");
    // Another organization's ids: 404 as well.
    let org = w
        .stack
        .api
        .post("/api/v1/organizations", &json!({"name": unique("org")}))
        .await;
    let other_api = w.stack.api.with_key(org.body["api_key"].as_str());
    let app = created(other_api.post("/api/v1/apps", &json!({"name": "x"})).await);
    let app_id = app["id"].as_str().unwrap();
    created(
        other_api
            .post(
                &format!("/api/v1/apps/{app_id}/event_types"),
                &json!({"name": "a"}),
            )
            .await,
    );
    let sub = created(
        other_api
            .post(
                &format!("/api/v1/apps/{app_id}/subscriptions"),
                &json!({"name": "s"}),
            )
            .await,
    );
    let ep = created(
        other_api
            .post(
                &format!(
                    "/api/v1/subscriptions/{}/endpoints",
                    sub["id"].as_str().unwrap()
                ),
                &json!({"url": "http://127.0.0.1:9/x", "event_types": ["a"]}),
            )
            .await,
    );
    let r = p
        .get(
            &client,
            &format!("/portal/endpoints/{}", ep["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(r.status, 404);
    // Retry failed retries this subscription's failed deliveries, not the other one's.
    let (mine_before, theirs_before) = (
        attempts_of(&w.stack, &w.mine).await,
        attempts_of(&w.stack, &w.theirs).await,
    );
    let r = p.post(&client, "/portal/messages/retry", &[]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.headers["location"], "/portal/messages?retried=1");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while attempts_of(&w.stack, &w.mine).await == mine_before {
        assert!(
            std::time::Instant::now() < deadline,
            "the retry did not run"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(attempts_of(&w.stack, &w.theirs).await, theirs_before);
    // A change of its own endpoint works and goes through the API's rules.
    let r = p
        .post(
            &client,
            &format!("/portal/endpoints/{mine}/edit"),
            &[("url", "ftp://bad"), ("event_types", "user.created")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("role=\"alert\""));
    let r = p
        .post(
            &client,
            &format!("/portal/endpoints/{mine}/status"),
            &[("status", "disabled")],
        )
        .await;
    assert_eq!(r.status, 303);
    let now = w
        .stack
        .api
        .get(&format!(
            "/api/v1/subscriptions/{}/endpoints/{mine}",
            w.f.subscription_id
        ))
        .await;
    assert_eq!(now.body["status"], "disabled");
    // CSRF: no token, or another origin, is 403.
    let r = client
        .raw(
            "POST",
            &format!("/portal/endpoints/{mine}/delete"),
            Some(form(&[])),
            &[("cookie", &p.cookie)],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = client
        .raw(
            "POST",
            &format!("/portal/endpoints/{mine}/delete"),
            Some(form(&[("csrf_token", &p.csrf)])),
            &[("cookie", &p.cookie), ("origin", "http://evil.example")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        p.get(&client, &format!("/portal/endpoints/{mine}"))
            .await
            .status,
        200
    );
}
