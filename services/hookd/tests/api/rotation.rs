//! Secret rotation: the secret changes, and during the grace period every delivery carries two
//! signatures, one by the new secret and one by the old.

use crate::helpers::*;
use crate::support::*;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// The webhook received for `message_id` at `path`: (timestamp, body, signature header).
pub(crate) async fn received(
    stack: &TestStack,
    path: &str,
    message_id: &str,
) -> (i64, Vec<u8>, String) {
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |got| got.iter().any(|g| g.path
                == path
                && g.header("webhook-id") == Some(message_id)))
            .await,
        "{message_id} not delivered to {path}"
    );
    let hook = stack
        .receiver
        .received_at(path)
        .into_iter()
        .find(|g| g.header("webhook-id") == Some(message_id))
        .unwrap();
    (
        hook.header("webhook-timestamp").unwrap().parse().unwrap(),
        hook.body.to_vec(),
        hook.header("webhook-signature").unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_rotation_deliveries_are_signed_by_the_new_and_the_old_secret() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let endpoint = stack.endpoint(&f, "/rotating", json!({})).await;
    let endpoint_id = id(&endpoint);
    let path = format!(
        "/api/v1/subscriptions/{}/endpoints/{endpoint_id}",
        f.subscription_id
    );
    let old = endpoint["secret"].as_str().unwrap().to_owned();
    let send = json!({"event_type": "user.created", "data": {"n": 1}});

    // Before: one signature, by the only secret.
    let before = id(&stack.send(&f, send.clone()).await.body);
    let (ts, body, header) = received(&stack, "/rotating", &before).await;
    assert!(
        header.starts_with("v1,") && !header.contains(' '),
        "{header}"
    );
    assert!(hookd_signing::verify(&old, &before, ts, &body, &header));

    let uuid: Uuid = endpoint_id.parse().unwrap();
    let revision = |stack: &TestStack| stack.view.snapshot().endpoint(uuid).unwrap().revision;
    let unrotated = revision(&stack);

    // Rotate (no body): a new whsec_ secret, shown at once and by GET .../secret.
    let r = stack
        .api
        .raw("POST", &format!("{path}/secret/rotate"), None, &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new = r.body["secret"].as_str().unwrap().to_owned();
    assert!(new.starts_with("whsec_"), "{new}");
    assert_ne!(new, old);
    assert_eq!(
        ok(stack.api.get(&format!("{path}/secret")).await),
        json!({"secret": new})
    );
    assert_eq!(
        r.body["url"], endpoint["url"],
        "rotation changed more than the secret"
    );
    // Once the router routes with the rotated endpoint, its jobs make the delivery worker
    // read the new secrets (the job carries the endpoint's revision).
    stack
        .wait_view(|v| v.endpoint(uuid).is_some_and(|e| e.revision > unrotated))
        .await;

    // After: two space-separated v1 signatures, one verifying with each secret.
    let after = id(&stack.send(&f, send.clone()).await.body);
    let (ts, body, header) = received(&stack, "/rotating", &after).await;
    let signatures: Vec<&str> = header.split(' ').collect();
    assert_eq!(signatures.len(), 2, "{header}");
    assert!(signatures.iter().all(|s| s.starts_with("v1,")), "{header}");
    let by = |secret: &str| {
        signatures
            .iter()
            .filter(|s| hookd_signing::verify(secret, &after, ts, &body, s))
            .count()
    };
    assert_eq!(by(&new), 1, "no signature by the new secret: {header}");
    assert_eq!(by(&old), 1, "no signature by the old secret: {header}");
    assert!(hookd_signing::verify(&new, &after, ts, &body, &header));
    assert!(hookd_signing::verify(&old, &after, ts, &body, &header));
    // A secret that was never the endpoint's verifies nothing: the check can fail.
    let stranger = hookd_signing::generate_secret();
    assert!(!hookd_signing::verify(
        &stranger, &after, ts, &body, &header
    ));

    // Rotating again to a secret of one's own: the new one and the one just replaced sign.
    let mine = hookd_signing::generate_secret();
    let rotated = revision(&stack);
    let r = stack
        .api
        .post(&format!("{path}/secret/rotate"), &json!({"secret": mine}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["secret"], json!(mine));
    stack
        .wait_view(|v| v.endpoint(uuid).is_some_and(|e| e.revision > rotated))
        .await;
    let third = id(&stack.send(&f, send).await.body);
    let (ts, body, header) = received(&stack, "/rotating", &third).await;
    assert_eq!(header.split(' ').count(), 2, "{header}");
    assert!(hookd_signing::verify(&mine, &third, ts, &body, &header));
    assert!(hookd_signing::verify(&new, &third, ts, &body, &header));
    assert!(
        !hookd_signing::verify(&old, &third, ts, &body, &header),
        "the first secret still signs"
    );
    stack.stop().await;
}

/// Once `previous_secret_expires_at` has passed, deliveries carry one signature, by the new
/// secret only, even from a worker that cached both during the grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_grace_period_only_the_new_secret_signs() {
    let stack = TestStack::spawn_with(|s| {
        s.endpoints.secret_rotation_grace = Duration::from_secs(3);
    })
    .await;
    let f = stack.fixture().await;
    let endpoint = stack.endpoint(&f, "/expiring", json!({})).await;
    let endpoint_id = id(&endpoint);
    let uuid: Uuid = endpoint_id.parse().unwrap();
    let old = endpoint["secret"].as_str().unwrap().to_owned();
    let unrotated = stack.view.snapshot().endpoint(uuid).unwrap().revision;
    let path = format!(
        "/api/v1/subscriptions/{}/endpoints/{endpoint_id}/secret/rotate",
        f.subscription_id
    );
    let r = stack.api.raw("POST", &path, None, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new = r.body["secret"].as_str().unwrap().to_owned();
    stack
        .wait_view(|v| v.endpoint(uuid).is_some_and(|e| e.revision > unrotated))
        .await;
    let db = stack.db().await;
    let expires: chrono::DateTime<chrono::Utc> = db
        .query_one(
            "SELECT previous_secret_expires_at FROM endpoints WHERE id = $1",
            &[&uuid],
        )
        .await
        .unwrap()
        .get(0);

    // During the grace: the worker reads (and caches) both secrets.
    let send = json!({"event_type": "user.created", "data": {"n": 1}});
    let during = id(&stack.send(&f, send.clone()).await.body);
    let (ts, body, header) = received(&stack, "/expiring", &during).await;
    assert!(hookd_signing::verify(&new, &during, ts, &body, &header));
    // Only a try signed a whole second before the expiry is sure to fall inside it.
    if ts + 1 < expires.timestamp() {
        assert_eq!(header.split(' ').count(), 2, "{header}");
        assert!(hookd_signing::verify(&old, &during, ts, &body, &header));
    }

    // After: wait on the database's clock, not a sleep of our own.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !db
        .query_one(
            "SELECT previous_secret_expires_at < now() FROM endpoints WHERE id = $1",
            &[&uuid],
        )
        .await
        .unwrap()
        .get::<_, bool>(0)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the grace never ended"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = id(&stack.send(&f, send).await.body);
    let (ts, body, header) = received(&stack, "/expiring", &after).await;
    assert!(
        header.starts_with("v1,") && !header.contains(' '),
        "more than one signature after the grace: {header}"
    );
    assert!(hookd_signing::verify(&new, &after, ts, &body, &header));
    assert!(
        !hookd_signing::verify(&old, &after, ts, &body, &header),
        "the old secret still signs after its grace"
    );
    stack.stop().await;
}
