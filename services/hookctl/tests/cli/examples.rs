//! The examples of `hookctl --help` work as written: each is run through bash, in order, against
//! the real stack, with only what a person would change changed (the address and key of
//! `make run` become the test stack's; the IDs are those the earlier examples printed).

use crate::helpers::*;
use crate::{bare, output};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

fn examples(help: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut continued = false;
    for line in help.lines().skip_while(|l| *l != "Examples:").skip(1) {
        if line.trim().is_empty() {
            break;
        }
        let text = line.trim().trim_end_matches('\\').trim_end().to_owned();
        if continued {
            let last = out.last_mut().unwrap();
            last.push(' ');
            last.push_str(&text);
        } else {
            out.push(text);
        }
        continued = line.trim_end().ends_with('\\');
    }
    out
}

/// The value of `field` in hookctl's table of one object (`id   0190...`).
fn field(stdout: &str, field: &str) -> String {
    stdout
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            (k == field).then(|| v.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no {field} in {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_help_examples_work_as_written() {
    let stack = TestStack::spawn().await;
    let mut help = bare();
    help.arg("--help");
    let help = output(help).await.stdout;
    let examples = examples(&help);
    assert!(examples.len() >= 10, "{examples:?}");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_hookctl")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let config = crate::scratch(&format!("{}.toml", unique("examples")));
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    let mut ran = 0;
    for example in &examples {
        // verify's values come from a real request (resources.rs checks one); the completion
        // script is printed rather than installed.
        if example.contains("whsec_...") {
            continue;
        }
        let mut line = example
            .replace("http://127.0.0.1:8080", &stack.base)
            .replace("hookd_dev_key", ADMIN_KEY)
            .replace(
                "http://127.0.0.1:9999/webhooks",
                &stack.receiver.url("/examples"),
            )
            .replace(" > /etc/bash_completion.d/hookctl", "");
        for (name, value) in &ids {
            line = line.replace(name, value);
        }
        assert!(!line.contains("_ID"), "an id no example printed: {line}");
        if example.starts_with("hookctl deliveries retry DELIVERY_ID") {
            // As a person would: once the first try is over (a try in flight answers 409).
            stack
                .eventually(
                    &format!("/api/v1/messages/{}/deliveries", ids["MSG_ID"]),
                    Duration::from_secs(30),
                    |b| b["models"][0]["status"] == "succeeded",
                )
                .await;
        }
        let mut cmd = bare();
        cmd.env("HOOKCTL_CONFIG", &config)
            .env("PATH", &path)
            .arg0_free_bash(&line);
        if line.contains("--follow") {
            // Runs until interrupted: what it printed within a few seconds.
            cmd.stdout(std::process::Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            let mut stdout = child.stdout.take().unwrap();
            let mut seen = String::new();
            let _ = tokio::time::timeout(Duration::from_secs(5), async {
                use tokio::io::AsyncReadExt;
                let mut buf = [0u8; 4096];
                while !seen.contains(&ids["MSG_ID"]) {
                    let n = stdout.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            })
            .await;
            child.kill().await.unwrap();
            assert!(seen.contains(&ids["MSG_ID"]), "{line}: {seen}");
            ran += 1;
            continue;
        }
        let run = output(cmd).await;
        assert!(run.ok, "{line}\n{}{}", run.stdout, run.stderr);
        ran += 1;
        if example.starts_with("hookctl apps create") {
            ids.insert("APP_ID", field(&run.stdout, "id"));
        } else if example.starts_with("hookctl subscriptions create") {
            ids.insert("SUB_ID", field(&run.stdout, "id"));
        } else if example.starts_with("hookctl send") {
            ids.insert("MSG_ID", field(&run.stdout, "id"));
        } else if example.starts_with("hookctl deliveries list --message") {
            let row = run
                .stdout
                .lines()
                .nth(1)
                .unwrap_or_else(|| panic!("no delivery: {}", run.stdout));
            ids.insert(
                "DELIVERY_ID",
                row.split_whitespace().next().unwrap().to_owned(),
            );
        } else if example.starts_with("hookctl completions") {
            assert!(run.stdout.contains("_hookctl"), "{}", run.stdout);
        }
    }
    assert_eq!(ran, examples.len() - 1, "every example but verify ran");
    let _ = std::fs::remove_file(&config);
    stack.stop().await;
}

trait Bash {
    fn arg0_free_bash(&mut self, line: &str) -> &mut Self;
}

impl Bash for tokio::process::Command {
    /// Runs `line` as bash would, the way a person pastes it.
    fn arg0_free_bash(&mut self, line: &str) -> &mut Self {
        // `bare()` set hookctl as the program: bash instead, with `exec` so that killing the
        // child kills hookctl.
        *self.as_std_mut() = {
            let mut std = std::process::Command::new("bash");
            let original = self.as_std();
            for (k, v) in original.get_envs() {
                match v {
                    Some(v) => std.env(k, v),
                    None => std.env_remove(k),
                };
            }
            std.arg("-c").arg(format!("exec {line}"));
            std
        };
        self.kill_on_drop(true).stdin(std::process::Stdio::null())
    }
}
