//! The gateway's resources (`/2024-03-01`) through the same verbs: a source, a destination,
//! a connection between them (its table shows both names), updated with PUT, deleted.

use crate::helpers::*;
use crate::{ctl, ctl_json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sources_destinations_connections() {
    let stack = TestStack::spawn().await;
    let source = ctl_json(&stack, &["sources", "create", "--set", "name=shop"]).await;
    let source_id = source["id"].as_str().unwrap().to_owned();
    assert!(
        source["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/e/{source_id}")),
        "{source}"
    );
    let destination = ctl_json(
        &stack,
        &[
            "destinations",
            "create",
            "--set",
            "name=api",
            "--set",
            "url=https://example.com/hooks",
        ],
    )
    .await;
    let destination_id = destination["id"].as_str().unwrap().to_owned();
    let connection = ctl_json(
        &stack,
        &[
            "connections",
            "create",
            "--set",
            "name=orders",
            "--set",
            &format!("source_id={source_id}"),
            "--set",
            &format!("destination_id={destination_id}"),
        ],
    )
    .await;
    let connection_id = connection["id"].as_str().unwrap().to_owned();
    let table = ctl(&stack, &["connections", "list"]).await;
    assert!(
        table.stdout.lines().any(|l| l.contains(&connection_id)
            && l.contains("shop -> orders")
            && l.contains("api")),
        "{}",
        table.stdout
    );
    let updated = ctl_json(
        &stack,
        &[
            "sources",
            "update",
            &source_id,
            "--set",
            "description=the shop",
        ],
    )
    .await;
    assert_eq!(updated["description"], "the shop");
    assert_eq!(
        ctl_json(&stack, &["events", "list"]).await["models"],
        serde_json::json!([])
    );
    assert!(
        ctl(&stack, &["connections", "delete", &connection_id])
            .await
            .ok
    );
    assert!(
        ctl(&stack, &["destinations", "delete", &destination_id])
            .await
            .ok
    );
    assert!(ctl(&stack, &["sources", "delete", &source_id]).await.ok);
    let gone = ctl(&stack, &["sources", "get", &source_id]).await;
    assert_eq!(gone.code, Some(1), "{}", gone.stdout);
    stack.stop().await;
}
