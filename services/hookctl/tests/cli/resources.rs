//! Every `/api/v1` resource through hookctl: create, list (table and JSON), get, update,
//! delete; a message sent with `hookctl send` reaching a receiver, its signature checked by
//! `hookctl verify`; a delivery retried one at a time and in bulk.

use crate::helpers::*;
use crate::{bare, ctl, ctl_json, output};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn apps_to_messages_to_retries_through_hookctl() {
    let stack = TestStack::spawn().await;
    let name = unique("ctl");
    let app = ctl_json(
        &stack,
        &["apps", "create", "--set", &format!("name={name}")],
    )
    .await;
    let app_id = app["id"].as_str().unwrap().to_owned();

    // A table for people: a header, and the app's row.
    let table = ctl(&stack, &["apps", "list"]).await;
    assert!(table.ok, "{}", table.stderr);
    let mut lines = table.stdout.lines();
    assert!(lines.next().unwrap().starts_with("ID"), "{}", table.stdout);
    assert!(
        lines.any(|l| l.starts_with(&app_id) && l.contains(&name)),
        "{}",
        table.stdout
    );
    let got = ctl_json(&stack, &["apps", "get", &app_id]).await;
    assert_eq!(got["name"], name.as_str());
    let renamed = ctl_json(
        &stack,
        &["apps", "update", &app_id, "--set", "name=renamed"],
    )
    .await;
    assert_eq!(renamed["name"], "renamed");
    assert_eq!(
        ctl_json(&stack, &["apps", "get", &app_id]).await["name"],
        "renamed"
    );

    let et = ctl_json(
        &stack,
        &[
            "event-types",
            "create",
            "--app",
            &app_id,
            "--set",
            "name=user.created",
            "--set",
            "description=A user signed up",
        ],
    )
    .await;
    assert_eq!(et["name"], "user.created");
    let et = ctl_json(
        &stack,
        &[
            "event-types",
            "update",
            "user.created",
            "--app",
            &app_id,
            "--set",
            "description=changed",
        ],
    )
    .await;
    assert_eq!(et["description"], "changed");
    let sub = ctl_json(
        &stack,
        &[
            "subscriptions",
            "create",
            "--app",
            &app_id,
            "--data",
            r#"{"name": "acme"}"#,
        ],
    )
    .await;
    let sub_id = sub["id"].as_str().unwrap().to_owned();
    let listed = ctl_json(&stack, &["subscriptions", "list", "--app", &app_id]).await;
    assert_eq!(listed["models"][0]["id"], sub_id.as_str(), "{listed}");

    // The receiver fails the first try, so there is a failed attempt and a retry to see.
    stack.receiver.set(
        "/ctl",
        hookd_testkit::Behavior::FailFirst {
            times: 1,
            status: 500,
        },
    );
    let endpoint_body = serde_json::json!({
        "url": stack.receiver.url("/ctl"),
        "event_types": ["user.created"],
    })
    .to_string();
    let endpoint = ctl_json(
        &stack,
        &[
            "endpoints",
            "create",
            "--subscription",
            &sub_id,
            "--data",
            &endpoint_body,
        ],
    )
    .await;
    let endpoint_id = endpoint["id"].as_str().unwrap().to_owned();
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    let id: uuid::Uuid = endpoint_id.parse().unwrap();
    stack.wait_view(|v| v.endpoint(id).is_some()).await;
    let got = ctl_json(
        &stack,
        &["endpoints", "get", &endpoint_id, "--subscription", &sub_id],
    )
    .await;
    assert_eq!(got["url"], stack.receiver.url("/ctl").as_str());

    let sent = ctl_json(
        &stack,
        &[
            "send",
            "--app",
            &app_id,
            "--event-type",
            "user.created",
            "--data",
            r#"{"n": 1}"#,
            "--event-id",
            "ctl-1",
        ],
    )
    .await;
    let message_id = sent["id"].as_str().unwrap().to_owned();
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |got| got.iter().any(|r| r.path
                == "/ctl"
                && r.header("webhook-id") == Some(message_id.as_str())))
            .await,
        "the message never reached the receiver"
    );
    let got = ctl_json(&stack, &["messages", "get", &message_id]).await;
    assert_eq!(got["data"]["n"], 1);

    // `hookctl verify` on what the receiver got: valid; the body changed: invalid, exit 1.
    let received = stack.receiver.received_at("/ctl")[0].clone();
    let header = |n: &str| received.header(n).unwrap().to_owned();
    let verify = |body: Vec<u8>| {
        let mut cmd = bare();
        cmd.args([
            "verify",
            "--secret",
            &secret,
            "--id",
            &header("webhook-id"),
            "--timestamp",
            &header("webhook-timestamp"),
            "--signature",
            &header("webhook-signature"),
        ])
        .arg("--body")
        .arg(String::from_utf8(body).unwrap());
        output(cmd)
    };
    let valid = verify(received.body.to_vec()).await;
    assert!(valid.ok, "{} {}", valid.stdout, valid.stderr);
    assert!(valid.stdout.contains("signature valid"));
    let mut tampered = received.body.to_vec();
    tampered.extend_from_slice(b" ");
    let invalid = verify(tampered).await;
    assert_eq!(
        invalid.code,
        Some(1),
        "{} {}",
        invalid.stdout,
        invalid.stderr
    );
    assert!(
        invalid.stderr.contains("signature invalid"),
        "{}",
        invalid.stderr
    );

    // The delivery succeeded on its second try; a retry sends it once more.
    let deliveries = stack
        .eventually(
            &format!("/api/v1/messages/{message_id}/deliveries"),
            Duration::from_secs(30),
            |b| b["models"][0]["status"] == "succeeded",
        )
        .await;
    let delivery_id = deliveries["models"][0]["id"].as_str().unwrap().to_owned();
    let listed = ctl(&stack, &["deliveries", "list", "--message", &message_id]).await;
    assert!(
        listed.stdout.contains(&delivery_id) && listed.stdout.contains("succeeded"),
        "{}",
        listed.stdout
    );
    let attempts = ctl_json(&stack, &["attempts", "list", "--delivery", &delivery_id]).await;
    assert_eq!(
        attempts["models"].as_array().unwrap().len(),
        2,
        "{attempts}"
    );
    let before = stack.receiver.received_at("/ctl").len();
    let retried = ctl(&stack, &["deliveries", "retry", &delivery_id]).await;
    assert!(retried.ok, "{}", retried.stderr);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(30), |got| {
                got.iter().filter(|r| r.path == "/ctl").count() > before
            })
            .await,
        "the retry was not delivered"
    );
    // The receiver sees the retry before its attempt is recorded: wait for the record, so
    // the bulk retry below finds the delivery succeeded again (not still in flight).
    stack
        .eventually(
            &format!("/api/v1/messages/{message_id}/deliveries"),
            Duration::from_secs(30),
            |b| b["models"][0]["status"] == "succeeded" && b["models"][0]["attempt_count"] == 3,
        )
        .await;
    let bulk = ctl_json(
        &stack,
        &[
            "deliveries",
            "retry",
            "--app",
            &app_id,
            "--status",
            "succeeded",
        ],
    )
    .await;
    assert!(bulk["count"].as_i64().unwrap() >= 1, "{bulk}");

    // Tasks: created for later, listed, cancelled.
    let task = ctl_json(
        &stack,
        &[
            "tasks",
            "create",
            "--app",
            &app_id,
            "--set",
            "event_type=user.created",
            "--set",
            "scheduled_run_time=2099-01-01T00:00:00Z",
            "--set",
            "data.n=2",
        ],
    )
    .await;
    let task_id = task["id"].as_str().unwrap().to_owned();
    let tasks = ctl_json(&stack, &["tasks", "list", "--app", &app_id]).await;
    assert!(tasks["models"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == task_id.as_str()));
    assert!(ctl(&stack, &["tasks", "delete", &task_id]).await.ok);
    assert_eq!(
        ctl_json(&stack, &["tasks", "get", &task_id]).await["status"],
        "cancelled"
    );

    // Deletes, and the API's own error for what is gone (exit 1, the status and message).
    let deleted = ctl(
        &stack,
        &[
            "endpoints",
            "delete",
            &endpoint_id,
            "--subscription",
            &sub_id,
        ],
    )
    .await;
    assert!(
        deleted.ok && deleted.stdout.contains(&endpoint_id),
        "{}",
        deleted.stderr
    );
    assert!(
        ctl(
            &stack,
            &["event-types", "delete", "user.created", "--app", &app_id]
        )
        .await
        .ok
    );
    assert!(ctl(&stack, &["apps", "delete", &app_id]).await.ok);
    let gone = ctl(&stack, &["apps", "get", &app_id]).await;
    assert_eq!(gone.code, Some(1));
    assert!(gone.stderr.starts_with("error: 404"), "{}", gone.stderr);
    stack.stop().await;
}
