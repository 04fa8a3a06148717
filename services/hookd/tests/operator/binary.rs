//! The real `hookd` binary: `migrate` makes and migrates a database, `all-in-one` serves the
//! whole path and stops cleanly (exit 0) on SIGTERM, and its logs, at debug level through a
//! run that creates an endpoint, rotates its secret, makes an API key and gateway secrets and
//! delivers, hold no secret: no `whsec_` text, API key, encryption key or gateway credential.

use crate::helpers::*;
use hookd_config::Settings;
use hookd_testkit::{ApiClient, Receiver};
use serde_json::json;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

/// `hookd <command>` on the test's database and broker names, everything else from
/// environment variables as an operator would set them.
pub(crate) fn hookd(settings: &Settings, command: &str, api_port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookd"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("HOOKD") || name == "RUST_LOG" {
            cmd.env_remove(name);
        }
    }
    cmd.arg(command)
        .env("HOOKD_PROFILE", "local")
        .env("HOOKD_CONFIG_DIR", "/nonexistent")
        .env("HOOKD__DATABASE__URL", settings.database.url.expose())
        .env("HOOKD__AMQP__URL", settings.amqp.url.expose())
        .env("HOOKD__AMQP__PREFIX", &settings.amqp.prefix)
        .env("HOOKD__AUTH__BOOTSTRAP_API_KEY", ADMIN_KEY)
        .env("HOOKD__SECRETS__ENCRYPTION_KEY", TEST_ENCRYPTION_KEY)
        .env("HOOKD__INGEST__LISTEN", format!("127.0.0.1:{api_port}"))
        .env("HOOKD__ROUTER__LISTEN", "127.0.0.1:0")
        .env("HOOKD__DELIVERY__LISTEN", "127.0.0.1:0")
        .env("HOOKD__LOG__LEVEL", "debug")
        .env("HOOKD__LOG__FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Reads a child's stdout and stderr to the end, concurrently (a full pipe would stall it).
pub(crate) fn drain(child: &mut Child) -> tokio::task::JoinHandle<String> {
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    tokio::spawn(async move {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let _ = tokio::join!(out.read_to_end(&mut a), err.read_to_end(&mut b));
        a.extend_from_slice(&b);
        String::from_utf8_lossy(&a).into_owned()
    })
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrate_then_all_in_one_delivers_logs_no_secret_and_stops_on_sigterm() {
    let settings = test_settings();
    let api_port = free_port();

    // `hookd migrate` on a database that does not exist yet: made and migrated; again, a no-op.
    for run in 0..2 {
        let mut child = hookd(&settings, "migrate", api_port).spawn().unwrap();
        let logs = drain(&mut child);
        let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
            .await
            .expect("migrate finishes")
            .unwrap();
        let logs = logs.await.unwrap();
        assert!(status.success(), "migrate run {run} failed: {logs}");
    }
    let db = hookd_db::connect(settings.database.url.expose(), 1)
        .unwrap()
        .get()
        .await
        .expect("migrate made the database");
    let applied: i64 = db
        .query_one("SELECT count(*) FROM schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    let files = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/hookd-db/migrations"
    ))
    .unwrap()
    .filter(|e| {
        e.as_ref()
            .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
    })
    .count();
    assert_eq!(applied as usize, files, "each migration applied once");

    // `hookd all-in-one`: ready, then the whole path from a send to the receiver.
    let mut child = hookd(&settings, "all-in-one", api_port).spawn().unwrap();
    let logs = drain(&mut child);
    let api = ApiClient::new(format!("http://127.0.0.1:{api_port}"), Some(ADMIN_KEY));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !matches!(api.try_get("/readyz").await, Ok(r) if r.status == 200) {
        assert!(Instant::now() < deadline, "all-in-one never became ready");
        assert!(child.try_wait().unwrap().is_none(), "all-in-one exited");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let receiver = Receiver::start().await;
    let app = created(api.post("/api/v1/apps", &json!({"name": "bin"})).await);
    let app_id = app["id"].as_str().unwrap();
    created(
        api.post(
            &format!("/api/v1/apps/{app_id}/event_types"),
            &json!({"name": "user.created"}),
        )
        .await,
    );
    let sub = created(
        api.post(
            &format!("/api/v1/apps/{app_id}/subscriptions"),
            &json!({"name": "bin"}),
        )
        .await,
    );
    let sub_id = sub["id"].as_str().unwrap();
    let endpoint = created(
        api.post(
            &format!("/api/v1/subscriptions/{sub_id}/endpoints"),
            &json!({"url": receiver.url("/bin"), "event_types": ["user.created"]}),
        )
        .await,
    );
    let first_secret = endpoint["secret"].as_str().unwrap().to_owned();
    let rotate = format!(
        "/api/v1/subscriptions/{sub_id}/endpoints/{}/secret/rotate",
        endpoint["id"].as_str().unwrap()
    );
    let chosen = hookd_signing::generate_secret();
    let r = api.post(&rotate, &json!({"secret": chosen})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let key = created(api.post("/api/v1/api_keys", &json!({"name": "bin"})).await);
    let api_key = key["key"]
        .as_str()
        .or(key["api_key"].as_str())
        .unwrap_or_else(|| panic!("no key in {key}"))
        .to_owned();
    // The gateway's secrets: a source's verification key and a destination's token.
    let (source_key, destination_token) = ("t15-source-key-8d2f61", "t15-dest-token-4b9e07");
    for (path, body) in [
        (
            "/2024-03-01/sources",
            json!({"name": "shop", "verification": {"type": "hmac",
                "configs": {"webhook_secret_key": source_key, "header_key": "x-sig"}}}),
        ),
        (
            "/2024-03-01/destinations",
            json!({"name": "api", "url": "https://example.com/hooks", "auth_method":
                {"type": "BEARER_TOKEN", "config": {"token": destination_token}}}),
        ),
    ] {
        let r = api
            .raw("POST", path, Some(body.to_string().into()), &[])
            .await;
        assert!(r.status < 300, "{path}: {} {}", r.status, r.text);
    }
    // The new key works, and its use is logged as any request is.
    let mine = api.with_key(Some(&api_key));
    assert_eq!(mine.get("/api/v1/apps").await.status, 200);
    // Sent until one arrives: the router learns of the endpoint on its own schedule.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let sent = mine
            .post(
                &format!("/api/v1/apps/{app_id}/messages"),
                &json!({"event_type": "user.created", "data": {"n": 1}}),
            )
            .await;
        assert_eq!(sent.status, 202, "{}", sent.text);
        if receiver
            .wait_for(Duration::from_secs(2), |got| !got.is_empty())
            .await
        {
            break;
        }
        assert!(Instant::now() < deadline, "nothing delivered");
    }
    let got = &receiver.received_at("/bin")[0];
    let ts: i64 = got.header("webhook-timestamp").unwrap().parse().unwrap();
    assert!(hookd_signing::verify(
        &chosen,
        got.header("webhook-id").unwrap(),
        ts,
        &got.body,
        got.header("webhook-signature").unwrap()
    ));

    // SIGTERM: a clean stop, exit status 0.
    let pid = child.id().expect("running").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("all-in-one stops within 30 s of SIGTERM")
        .unwrap();
    let logs = logs.await.unwrap();
    assert!(
        status.success(),
        "all-in-one exited with {status} on SIGTERM: {}",
        tail(&logs)
    );

    // The logs are there (the check can fail) and hold none of the secrets.
    assert!(logs.contains("hookd started"), "{}", tail(&logs));
    assert!(
        logs.contains(app_id),
        "requests are not logged: {}",
        tail(&logs)
    );
    for (what, secret) in [
        ("whsec_ prefix", "whsec_"),
        ("first endpoint secret", first_secret.as_str()),
        ("rotated secret", chosen.as_str()),
        ("admin API key", ADMIN_KEY),
        ("new API key", api_key.as_str()),
        ("encryption key", TEST_ENCRYPTION_KEY),
        ("source verification key", source_key),
        ("destination token", destination_token),
    ] {
        if let Some(at) = logs.find(secret) {
            let line = logs[..at].rfind('\n').map_or(0, |n| n + 1);
            let end = logs[at..].find('\n').map_or(logs.len(), |n| at + n);
            panic!("the {what} is in the logs: {}", &logs[line..end]);
        }
    }
    drop(db);
    cleanup(&settings);
}

fn tail(logs: &str) -> &str {
    &logs[logs.len().saturating_sub(4000)..]
}
