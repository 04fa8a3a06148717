//! What needs no server: `--help` with examples for every resource, completions, usage errors
//! (exit 2), and `verify` of a signature made here.

use crate::{bare, output};

async fn run(args: &[&str]) -> crate::Run {
    let mut cmd = bare();
    cmd.args(args);
    output(cmd).await
}

#[tokio::test]
async fn help_lists_every_resource_with_examples() {
    let help = run(&["--help"]).await;
    assert!(help.ok, "{}", help.stderr);
    assert!(help.stdout.contains("Examples:"), "{}", help.stdout);
    for r in hookctl::resources::RESOURCES {
        assert!(
            help.stdout.contains(r.name),
            "{} missing: {}",
            r.name,
            help.stdout
        );
    }
    let endpoints = run(&["endpoints", "create", "--help"]).await;
    assert!(
        endpoints.stdout.contains("--subscription"),
        "{}",
        endpoints.stdout
    );
    let send = run(&["send", "--help"]).await;
    assert!(send.stdout.contains("Examples:"), "{}", send.stdout);
}

#[tokio::test]
async fn completions_and_usage_errors() {
    let bash = run(&["completions", "bash"]).await;
    assert!(bash.ok && bash.stdout.contains("hookctl") && bash.stdout.contains("event-types"));
    let zsh = run(&["completions", "zsh"]).await;
    assert!(
        zsh.ok && zsh.stdout.contains("#compdef hookctl"),
        "{}",
        zsh.stdout
    );
    // A missing parent flag is the command line's error: exit 2, naming the flag.
    let missing = run(&["event-types", "list", "--api-key", "k"]).await;
    assert_eq!(missing.code, Some(2));
    assert!(missing.stderr.contains("--app"), "{}", missing.stderr);
    let both = run(&["deliveries", "list", "--message", "a", "--endpoint", "b"]).await;
    assert_eq!(both.code, Some(2), "{}", both.stderr);
}

#[tokio::test]
async fn verify_checks_signature_and_timestamp() {
    let secret = hookd_signing::generate_secret();
    let now = chrono::Utc::now().timestamp();
    let body = r#"{"id":"m1","data":{}}"#;
    let key = hookd_signing::SigningKey::parse(&secret).unwrap();
    let check = |ts: i64, signature: String, extra: &'static [&'static str]| {
        let secret = secret.clone();
        async move {
            let mut cmd = bare();
            cmd.env("HOOKCTL_WEBHOOK_SECRET", &secret)
                .args([
                    "verify",
                    "--id",
                    "m1",
                    "--timestamp",
                    &ts.to_string(),
                    "--signature",
                    &signature,
                    "--body",
                    body,
                ])
                .args(extra);
            output(cmd).await
        }
    };
    let ok = check(now, key.sign("m1", now, body.as_bytes()), &[]).await;
    assert!(
        ok.ok && ok.stdout.contains("signature valid"),
        "{}{}",
        ok.stdout,
        ok.stderr
    );
    // Another secret's signature beside the right one (a rotation) still verifies.
    let other = hookd_signing::SigningKey::parse(&hookd_signing::generate_secret()).unwrap();
    let both = format!(
        "{} {}",
        other.sign("m1", now, body.as_bytes()),
        key.sign("m1", now, body.as_bytes())
    );
    assert!(check(now, both, &[]).await.ok);
    let wrong = check(now, other.sign("m1", now, body.as_bytes()), &[]).await;
    assert_eq!(wrong.code, Some(1));
    assert!(
        wrong.stderr.contains("signature invalid"),
        "{}",
        wrong.stderr
    );
    // Right signature, an hour old: a replay unless the tolerance is off.
    let old = now - 3600;
    let stale = check(old, key.sign("m1", old, body.as_bytes()), &[]).await;
    assert_eq!(stale.code, Some(1));
    assert!(stale.stderr.contains("tolerance"), "{}", stale.stderr);
    assert!(
        check(
            old,
            key.sign("m1", old, body.as_bytes()),
            &["--tolerance", "0"]
        )
        .await
        .ok
    );
    let json = check(
        now,
        key.sign("m1", now, body.as_bytes()),
        &["--output", "json"],
    )
    .await;
    assert_eq!(json.json()["valid"], true);
}
