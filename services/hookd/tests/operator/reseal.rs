//! Encryption keys with ids: new writes use the current key, rows sealed by an older key stay
//! readable, and `hookd reseal` moves every row to the current key so the old one can go.

use crate::helpers::*;
use hookd_config::{Secret, Settings};
use hookd_signing::SecretCipher;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

const OLD: &str = "old:b2xkLW9sZC1vbGQtb2xkLW9sZC1vbGQtb2xkLW9sZC0=";
const NEW: &str = "new:bmV3LW5ldy1uZXctbmV3LW5ldy1uZXctbmV3LW5ldy0=";

/// Every endpoint's stored (secret, previous secret), by id.
async fn stored(stack: &TestStack) -> Vec<(Uuid, String, Option<String>)> {
    stack
        .db()
        .await
        .query(
            "SELECT id, secret, previous_secret FROM endpoints ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// The same database and broker names as `first`, with another key ring.
async fn restart_with(first: &TestStack, keys: &str) -> TestStack {
    let (db, prefix) = (
        first.settings.database.url.clone(),
        first.settings.amqp.prefix.clone(),
    );
    let keys = keys.to_owned();
    TestStack::spawn_with(move |s| {
        s.database.url = db;
        s.amqp.prefix = prefix;
        s.secrets.encryption_key = Some(Secret::new(keys));
    })
    .await
}

fn with_keys(settings: &Settings, keys: &str) -> Settings {
    let mut s = settings.clone();
    s.secrets.encryption_key = Some(Secret::new(keys.into()));
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotating_the_encryption_key_and_resealing_keeps_every_secret() {
    // Written under the old key: an endpoint, rotated so it has a previous secret too.
    let mut first = TestStack::spawn_with(|s| {
        s.secrets.encryption_key = Some(Secret::new(OLD.into()));
    })
    .await;
    let f = first.fixture().await;
    let e1 = first.endpoint(&f, "/e1", json!({})).await;
    let rotate = format!(
        "/api/v1/subscriptions/{}/endpoints/{}/secret/rotate",
        f.subscription_id,
        e1["id"].as_str().unwrap()
    );
    let r = first.api.raw("POST", &rotate, None, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    first.stop_services().await;
    let old_only = SecretCipher::new(Some(OLD)).unwrap();
    let rows = stored(&first).await;
    assert_eq!(rows.len(), 1);
    let (e1_id, e1_secret, e1_previous) = rows[0].clone();
    let e1_previous = e1_previous.expect("rotated: a previous secret");
    for sealed in [&e1_secret, &e1_previous] {
        assert!(sealed.starts_with("enc:v2:old:"), "{sealed}");
    }
    let plain_secret = old_only.open(&e1_secret).unwrap();
    let plain_previous = old_only.open(&e1_previous).unwrap();
    // A gateway destination's auth config, sealed by the old key like the gateway stores it.
    let auth = r#"{"api_key":"k-123","header_key":"x-api-key"}"#;
    let destination = Uuid::now_v7();
    first
        .db()
        .await
        .execute(
            "INSERT INTO gw_destinations (id, organization_id, name, auth_type, auth_config)
             SELECT $1, id, 'reseal-test', 'API_KEY', $2 FROM organizations LIMIT 1",
            &[&destination, &old_only.seal(auth)],
        )
        .await
        .unwrap();
    // And the organization's gateway signing secret (keyed by organization, not id).
    first
        .db()
        .await
        .execute(
            "INSERT INTO gw_signing_secrets (organization_id, secret)
             SELECT id, $1 FROM organizations LIMIT 1",
            &[&old_only.seal("gw-signing-plain")],
        )
        .await
        .unwrap();

    // The new key first, the old one after it: new writes use the new key, old rows still open.
    let mut second = restart_with(&first, &format!("{NEW},{OLD}")).await;
    second.endpoint(&f, "/e2", json!({})).await;
    let ring = SecretCipher::new(Some(&format!("{NEW},{OLD}"))).unwrap();
    let rows = stored(&second).await;
    assert_eq!(rows.len(), 2);
    let e2 = rows.iter().find(|r| r.0 != e1_id).unwrap().clone();
    assert!(e2.1.starts_with("enc:v2:new:"), "new writes: {}", e2.1);
    assert_eq!(ring.open(&e1_secret).unwrap(), plain_secret);

    // A key ring that lacks the key of some rows: reseal refuses and names the problem.
    let err = hookd::reseal::reseal(&with_keys(&second.settings, NEW))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("3 stored secret(s)") && err.contains("`old`"),
        "{err}"
    );

    let report = hookd::reseal::reseal(&second.settings).await.unwrap();
    assert_eq!((report.examined, report.resealed), (4, 3), "{report:?}");
    let again = hookd::reseal::reseal(&second.settings).await.unwrap();
    assert_eq!((again.examined, again.resealed), (4, 0), "idempotent");
    let new_only = SecretCipher::new(Some(NEW)).unwrap();
    let rows = stored(&second).await;
    let e1_now = rows.iter().find(|r| r.0 == e1_id).unwrap();
    assert!(e1_now.1.starts_with("enc:v2:new:"), "{}", e1_now.1);
    assert_eq!(new_only.open(&e1_now.1).unwrap(), plain_secret);
    let previous_now = e1_now.2.as_deref().unwrap();
    assert!(previous_now.starts_with("enc:v2:new:"), "{previous_now}");
    assert_eq!(new_only.open(previous_now).unwrap(), plain_previous);
    assert_eq!(new_only.open(&e2.1).unwrap(), ring.open(&e2.1).unwrap());
    let sealed_auth: String = second
        .db()
        .await
        .query_one(
            "SELECT auth_config FROM gw_destinations WHERE id = $1",
            &[&destination],
        )
        .await
        .unwrap()
        .get(0);
    assert!(sealed_auth.starts_with("enc:v2:new:"), "{sealed_auth}");
    assert_eq!(new_only.open(&sealed_auth).unwrap(), auth);
    let sealed_signing: String = second
        .db()
        .await
        .query_one("SELECT secret FROM gw_signing_secrets", &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        sealed_signing.starts_with("enc:v2:new:"),
        "{sealed_signing}"
    );
    assert_eq!(new_only.open(&sealed_signing).unwrap(), "gw-signing-plain");
    second.stop_services().await;

    // The old key removed: the resealed endpoint is still delivered to and signed by its secrets.
    let third = restart_with(&first, NEW).await;
    // The router routes to it; the delivery worker opens both secrets itself (with the new key).
    third.wait_view(|v| v.endpoint(e1_id).is_some()).await;
    let sent = third
        .send(&f, json!({"event_type": "user.created", "data": {"n": 1}}))
        .await;
    assert_eq!(sent.status, 202, "{}", sent.text);
    let message_id = sent.body["id"].as_str().unwrap().to_owned();
    let arrived = first
        .receiver
        .wait_for(Duration::from_secs(15), |got| {
            got.iter()
                .any(|g| g.header("webhook-id") == Some(message_id.as_str()))
        })
        .await;
    assert!(arrived, "the resealed endpoint got no delivery");
    let hook = first
        .receiver
        .received_at("/e1")
        .into_iter()
        .find(|g| g.header("webhook-id") == Some(message_id.as_str()))
        .unwrap();
    let ts: i64 = hook.header("webhook-timestamp").unwrap().parse().unwrap();
    let header = hook.header("webhook-signature").unwrap();
    for secret in [&plain_secret, &plain_previous] {
        assert!(
            hookd_signing::verify(secret, &message_id, ts, &hook.body, header),
            "not signed by a resealed secret: {header}"
        );
    }
    drop(third);
    drop(second);
}
