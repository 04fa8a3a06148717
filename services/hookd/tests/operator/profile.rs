use std::process::Command;

/// `hookd` started the way an image or a bare `cargo run` starts it (no HOOKD_PROFILE, no keys)
/// runs the production profile and refuses to start, naming what is missing.
#[test]
fn an_unconfigured_binary_refuses_to_start_without_keys() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookd"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("HOOKD") {
            cmd.env_remove(name);
        }
    }
    let repo_config = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");
    let out = cmd
        .arg("migrate")
        .env("HOOKD_CONFIG_DIR", repo_config)
        // Never reached: were the keys not checked, migrate would fail on this port instead.
        .env(
            "HOOKD__DATABASE__URL",
            "postgres://postgres@127.0.0.1:1/hookd",
        )
        .output()
        .expect("run hookd");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started without keys: {stderr}");
    for named in [
        "production profile",
        "HOOKD__AUTH__BOOTSTRAP_API_KEY",
        "HOOKD__SECRETS__ENCRYPTION_KEY",
    ] {
        assert!(stderr.contains(named), "`{named}` not in: {stderr}");
    }
}
