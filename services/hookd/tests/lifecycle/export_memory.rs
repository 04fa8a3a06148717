//! An export of 100,000 messages streams in bounded memory: a real ingest process exports an
//! app of 10,000 messages, then one of 100,000, and its peak RSS grows by far less than the
//! larger export's size, and not more than after the small one plus a fixed allowance.

use crate::children::spawn_service_with;
use crate::export::lines;
use crate::helpers::*;
use hookd_testkit::ApiClient;
use std::time::{Duration, Instant};

/// Inserts `n` messages (of about 500 bytes each) into the app, in one statement.
async fn seed(stack: &TestStack, app_id: &str, n: i64) {
    let app: uuid::Uuid = app_id.parse().unwrap();
    let inserted = stack
        .db()
        .await
        .execute(
            "INSERT INTO messages (id, app_id, event_type, version, data, created_at)
             SELECT gen_random_uuid(), $1, 'user.created', '1.0',
                 jsonb_build_object('n', g, 'pad', repeat('x', 420)),
                 now() - interval '1 day' + g * interval '1 ms'
             FROM generate_series(1, $2::bigint) g",
            &[&app, &n],
        )
        .await
        .unwrap();
    assert_eq!(inserted as i64, n);
}

/// The peak resident set of the process, KiB.
fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Exports the app's messages through `api`: (lines, bytes).
async fn export(api: &ApiClient, app_id: &str) -> (usize, usize) {
    let r = api
        .get(&format!("/api/v1/apps/{app_id}/export?include=messages"))
        .await;
    let n = lines(&r).len();
    (n, r.text.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporting_100_000_messages_takes_no_more_memory_than_exporting_10_000() {
    let stack = TestStack::spawn().await;
    let t0 = Instant::now();
    let small = stack.fixture().await;
    let large = stack.fixture().await;
    seed(&stack, &small.app_id, 10_000).await;
    seed(&stack, &large.app_id, 100_000).await;

    eprintln!("seeded in {:?}", t0.elapsed());
    let port = free_port();
    let mut ingest = spawn_service_with(
        &stack.settings,
        "ingest",
        &[
            ("HOOKD__INGEST__LISTEN", format!("127.0.0.1:{port}")),
            ("HOOKD__AUTH__BOOTSTRAP_API_KEY", ADMIN_KEY.to_owned()),
        ],
    );
    let pid = ingest.id().expect("ingest runs");
    let api = ApiClient::new(format!("http://127.0.0.1:{port}"), Some(ADMIN_KEY));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(api.try_get("/readyz").await, Ok(r) if r.status == 200) {
        assert!(
            Instant::now() < deadline,
            "the ingest process did not get ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("ingest ready at {:?}", t0.elapsed());
    // A first small export warms the pool, the allocator and the route.
    export(&api, &small.app_id).await;
    let base = vm_hwm_kib(pid);
    let (n_small, _) = export(&api, &small.app_id).await;
    let after_small = vm_hwm_kib(pid);
    eprintln!("small exports done at {:?}", t0.elapsed());
    let (n_large, bytes_large) = export(&api, &large.app_id).await;
    let after_large = vm_hwm_kib(pid);
    assert_eq!((n_small, n_large), (10_000, 100_000));
    assert!(
        bytes_large > 45_000_000,
        "the large export is {bytes_large} bytes"
    );

    let growth_small = after_small.saturating_sub(base);
    let growth_large = after_large.saturating_sub(base);
    eprintln!(
        "ingest VmHWM: {base} KiB; +{growth_small} KiB after 10,000 messages, \
         +{growth_large} KiB after 100,000 ({} MB exported)",
        bytes_large / 1_000_000
    );
    // Held in memory, the export alone would be 45+ MB; streamed, the peak stays where the
    // 10x smaller export left it, give or take a few pages' buffers (8 MiB).
    assert!(
        growth_large <= growth_small + 8 * 1024,
        "peak RSS grew {growth_large} KiB exporting 100,000 messages, {growth_small} KiB for 10,000"
    );
    assert!((growth_large as usize) * 1024 < bytes_large / 4);
    ingest.start_kill().unwrap();
    let _ = ingest.wait().await;
    stack.stop().await;
}
