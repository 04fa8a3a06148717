//! Where the API and key come from: `hookctl login` writes a profile that later runs use;
//! HOOKD_URL / HOOKD_API_KEY; flags over both; and clear errors for a wrong or missing key.

use crate::helpers::*;
use crate::{bare, output, scratch};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_then_profiles_environment_and_flags() {
    let stack = TestStack::spawn().await;
    let config = scratch(&format!("{}.toml", unique("config")));
    let with_config = || {
        let mut cmd = bare();
        cmd.env("HOOKCTL_CONFIG", &config);
        cmd
    };

    // A wrong key is refused at login, and nothing is written.
    let mut cmd = with_config();
    cmd.args(["login", "--url", &stack.base, "--api-key", "not-a-key"]);
    let refused = output(cmd).await;
    assert_eq!(refused.code, Some(1));
    assert!(refused.stderr.contains("401"), "{}", refused.stderr);
    assert!(!config.exists());

    let mut cmd = with_config();
    cmd.args([
        "login",
        "--url",
        &stack.base,
        "--api-key",
        ADMIN_KEY,
        "--profile",
        "test",
    ]);
    let login = output(cmd).await;
    assert!(login.ok, "{}", login.stderr);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("[profiles.test]") && text.contains(&stack.base),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the config file is readable by others: {mode:o}"
        );
    }

    // No flags: the default profile (the one just saved).
    let app = created(
        stack
            .api
            .post("/api/v1/apps", &serde_json::json!({"name": "prof"}))
            .await,
    );
    let mut cmd = with_config();
    cmd.args(["apps", "list"]);
    let listed = output(cmd).await;
    assert!(
        listed.ok && listed.stdout.contains(app["id"].as_str().unwrap()),
        "{}{}",
        listed.stdout,
        listed.stderr
    );

    // The environment's key over the profile's: a wrong one is a 401 from the API.
    let mut cmd = with_config();
    cmd.env("HOOKD_API_KEY", "wrong-key-from-env")
        .args(["apps", "list"]);
    let env = output(cmd).await;
    assert_eq!(env.code, Some(1));
    assert!(env.stderr.starts_with("error: 401"), "{}", env.stderr);
    // And a flag over the environment.
    let mut cmd = with_config();
    cmd.env("HOOKD_API_KEY", "wrong-key-from-env")
        .args(["--api-key", ADMIN_KEY, "apps", "list"]);
    assert!(output(cmd).await.ok);
    // HOOKD_URL and HOOKD_API_KEY alone, without any config file.
    let mut cmd = bare();
    cmd.env("HOOKD_URL", &stack.base)
        .env("HOOKD_API_KEY", ADMIN_KEY)
        .args(["apps", "list", "--output", "json"]);
    assert!(output(cmd).await.json()["models"].is_array());

    // A profile that does not exist, and no key at all: each says what to do.
    let mut cmd = with_config();
    cmd.args(["--profile", "nope", "apps", "list"]);
    let missing = output(cmd).await;
    assert_eq!(missing.code, Some(1));
    assert!(
        missing.stderr.contains("no profile `nope`"),
        "{}",
        missing.stderr
    );
    let mut cmd = bare();
    cmd.args(["apps", "list"]);
    let nokey = output(cmd).await;
    assert_eq!(nokey.code, Some(1));
    assert!(nokey.stderr.contains("hookctl login"), "{}", nokey.stderr);
    // Nothing listening: the reason, not a panic.
    let mut cmd = bare();
    cmd.args([
        "--url",
        "http://127.0.0.1:9",
        "--api-key",
        "k",
        "apps",
        "list",
    ]);
    let down = output(cmd).await;
    assert_eq!(down.code, Some(1));
    assert!(
        down.stderr.contains("cannot reach") && down.stderr.contains("refused"),
        "{}",
        down.stderr
    );
    let _ = std::fs::remove_file(&config);
    stack.stop().await;
}
