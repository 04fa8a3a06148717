//! Errors that say why (issue 16): a person starting `hookd` against a database or broker that
//! refuses, or with a bad setting, reads the underlying reason on one line, without the
//! password of any URL and without a backtrace unless they ask for one (`RUST_BACKTRACE`).

use crate::binary::{drain, free_port, hookd};
use crate::helpers::*;
use std::time::Duration;

const PASSWORD: &str = "pw-3f9a61c2e7";

/// Runs `hookd <command>` with extra environment; its exit success and its output.
async fn run(command: &str, env: &[(&str, String)], backtrace: bool) -> (bool, String) {
    let settings = test_settings();
    let mut cmd = hookd(&settings, command, free_port());
    cmd.env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    if backtrace {
        cmd.env("RUST_BACKTRACE", "1");
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let output = drain(&mut child);
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("hookd gives up on its own")
        .unwrap();
    (status.success(), output.await.unwrap())
}

/// A port that nothing listens on (bound by the OS, then released).
fn closed_port_url(scheme: &str, path: &str) -> String {
    format!(
        "{scheme}://hookd:{PASSWORD}@127.0.0.1:{}/{path}",
        free_port()
    )
}

fn assert_says_why(ok: bool, output: &str, reason: &str) {
    assert!(!ok, "hookd succeeded: {output}");
    assert!(
        output.contains(reason),
        "no `{reason}` in the output: {output}"
    );
    assert!(
        !output.contains(PASSWORD),
        "the password was printed: {output}"
    );
    let last = output.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    assert!(last.starts_with("error: "), "last line: {last}\n{output}");
}

#[tokio::test]
async fn migrate_against_a_closed_port_says_connection_refused_and_no_password() {
    let url = closed_port_url("postgres", "hookd");
    let (ok, output) = run("migrate", &[("HOOKD__DATABASE__URL", url)], false).await;
    assert_says_why(ok, &output, "Connection refused");
    // Only the reason: no stack frames when no backtrace was asked for.
    assert!(!output.contains("backtrace"), "{output}");
    assert!(
        output.lines().filter(|l| !l.trim().is_empty()).count() <= 3,
        "more than the reason: {output}"
    );
}

#[tokio::test]
async fn rust_backtrace_adds_the_backtrace_to_the_reason() {
    let url = closed_port_url("postgres", "hookd");
    let (quiet_ok, quiet) = run("migrate", &[("HOOKD__DATABASE__URL", url.clone())], false).await;
    let (ok, output) = run("migrate", &[("HOOKD__DATABASE__URL", url)], true).await;
    assert!(!quiet_ok && !ok);
    assert!(output.contains("Connection refused"), "{output}");
    assert!(!output.contains(PASSWORD), "{output}");
    // The frames of the code that failed, which the quiet run did not print.
    assert!(output.contains("hookd::run"), "no backtrace: {output}");
    assert!(!quiet.contains("hookd::run"), "{quiet}");
}

#[tokio::test]
async fn a_broker_that_refuses_is_named_with_its_reason_and_no_password() {
    let settings = test_settings();
    prepare_database(&settings).await;
    let url = closed_port_url("amqp", "%2f");
    let (ok, output) = run(
        "router",
        &[
            (
                "HOOKD__DATABASE__URL",
                settings.database.url.expose().clone(),
            ),
            ("HOOKD__AMQP__URL", url),
        ],
        false,
    )
    .await;
    cleanup(&settings);
    assert_says_why(ok, &output, "Connection refused");
    assert!(output.contains("broker"), "{output}");
}

#[tokio::test]
async fn a_bad_setting_names_the_setting() {
    let (ok, output) = run(
        "migrate",
        &[("HOOKD__DELIVERY__TIMEOUT", "soon".into())],
        false,
    )
    .await;
    assert!(!ok, "{output}");
    assert!(output.contains("timeout"), "{output}");
    let last = output.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    assert!(last.starts_with("error: "), "{output}");
}
