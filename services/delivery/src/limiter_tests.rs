use super::*;

const NOW: Duration = Duration::ZERO;
const MOST: Duration = Duration::from_secs(30);
const TRY: Duration = Duration::from_secs(2);

#[tokio::test]
async fn caps_each_endpoint_separately() {
    let limiter = EndpointLimiter::new(2, 0, 0);
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let p1 = limiter.acquire(a, NOW).await.unwrap();
    let _p2 = limiter.acquire(a, NOW).await.unwrap();
    assert!(limiter.acquire(a, NOW).await.is_none());
    assert!(limiter.acquire(b, NOW).await.is_some());
    drop(p1);
    assert!(limiter.acquire(a, NOW).await.is_some());
}

#[tokio::test]
async fn waits_a_bounded_time_for_a_slot() {
    let limiter = EndpointLimiter::new(1, 0, 0);
    let a = Uuid::now_v7();
    let held = limiter.acquire(a, NOW).await.unwrap();
    assert!(limiter
        .acquire(a, Duration::from_millis(20))
        .await
        .is_none());
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(held);
    });
    assert!(limiter.acquire(a, Duration::from_secs(5)).await.is_some());
    release.await.unwrap();
}

/// Waits until `n` jobs of the endpoint are held.
async fn until_held(limiter: &EndpointLimiter, endpoint: Uuid, n: usize) {
    for _ in 0..1000 {
        if limiter.slots.lock().unwrap()[&endpoint].held == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("{n} jobs were not held");
}

/// A job held up to `hold` for a slot of the endpoint, in its own task: whether it got one.
fn held_job(
    limiter: &Arc<EndpointLimiter>,
    endpoint: Uuid,
    hold: Duration,
) -> tokio::task::JoinHandle<bool> {
    let limiter = limiter.clone();
    tokio::spawn(async move {
        limiter
            .acquire_or_hold(endpoint, NOW, hold, TRY, MOST)
            .await
            .is_ok()
    })
}

#[tokio::test]
async fn a_held_job_gets_the_slot_freed_while_it_waits() {
    let limiter = EndpointLimiter::new(1, 1, 10);
    let a = Uuid::now_v7();
    let first = limiter.acquire_or_hold(a, NOW, NOW, TRY, MOST).await.ok();
    let waiter = held_job(&limiter, a, Duration::from_secs(30));
    until_held(&limiter, a, 1).await;
    // The bound of one is taken: a third job is put off at once.
    let third = limiter
        .acquire_or_hold(a, NOW, Duration::from_secs(30), TRY, MOST)
        .await;
    assert!(
        third.is_err(),
        "the hold bound of one let a second job wait"
    );
    drop(first);
    assert!(waiter.await.unwrap(), "the held job got no slot");
    until_held(&limiter, a, 0).await;
}

#[tokio::test]
async fn the_bound_over_all_endpoints_caps_what_they_hold_together() {
    let limiter = EndpointLimiter::new(1, 5, 1);
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let _sa = limiter.acquire_or_hold(a, NOW, NOW, TRY, MOST).await.ok();
    let _sb = limiter.acquire_or_hold(b, NOW, NOW, TRY, MOST).await.ok();
    let waiter = held_job(&limiter, a, Duration::from_secs(30));
    until_held(&limiter, a, 1).await;
    // b holds nothing, but the one place over all endpoints is a's.
    let got = limiter
        .acquire_or_hold(b, NOW, Duration::from_secs(30), TRY, MOST)
        .await;
    assert!(got.is_err());
    waiter.abort();
}

#[tokio::test]
async fn jobs_put_off_come_back_at_the_endpoints_pace() {
    let limiter = EndpointLimiter::new(2, 0, 0);
    let a = Uuid::now_v7();
    let s1 = limiter
        .acquire_or_hold(a, NOW, NOW, TRY, MOST)
        .await
        .ok()
        .unwrap();
    let _s2 = limiter
        .acquire_or_hold(a, NOW, NOW, TRY, MOST)
        .await
        .ok()
        .unwrap();
    // No try has ended: a round is the worst try (2 s), two tries a round.
    let d1 = limiter
        .acquire_or_hold(a, NOW, NOW, TRY, MOST)
        .await
        .err()
        .unwrap();
    let d2 = limiter
        .acquire_or_hold(a, NOW, NOW, TRY, MOST)
        .await
        .err()
        .unwrap();
    assert!(
        d1 >= Duration::from_millis(2900) && d1 <= Duration::from_secs(3),
        "{d1:?}"
    );
    assert!(d2 >= d1 + Duration::from_millis(900), "{d1:?} then {d2:?}");
    // A try that took 100 ms makes the turns of the jobs put off next 50 ms apart.
    s1.tried(Duration::from_millis(100));
    let d3 = limiter
        .acquire_or_hold(a, NOW, NOW, TRY, MOST)
        .await
        .err()
        .unwrap();
    let d4 = limiter
        .acquire_or_hold(a, NOW, NOW, TRY, MOST)
        .await
        .err()
        .unwrap();
    assert!(
        d4 > d3 && d4 - d3 < Duration::from_millis(100),
        "{d3:?} then {d4:?}"
    );
    for _ in 0..1000 {
        let _ = limiter.acquire_or_hold(a, NOW, NOW, TRY, MOST).await;
    }
    let last = limiter.acquire_or_hold(a, NOW, NOW, TRY, MOST).await;
    assert!(
        last.err().is_some_and(|d| d <= MOST),
        "the turns are capped"
    );
}
