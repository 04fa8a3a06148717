//! The examples of `hookctl listen --help`, run as written against the real stack.

use crate::bare;
use crate::helpers::*;
use crate::listen::send;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The examples of `hookctl listen --help` work as written (the subscription and endpoint ids
/// those before them printed; the local URL the test receiver's).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_listen_help_examples_work_as_written() {
    let stack = TestStack::spawn().await;
    let f = stack.fixture().await;
    let help = crate::ctl(&stack, &["listen", "--help"]).await;
    let mut examples: Vec<String> = Vec::new();
    let mut continued = false;
    for line in help
        .stdout
        .lines()
        .skip_while(|l| *l != "Examples:")
        .skip(1)
    {
        if line.trim().is_empty() {
            break;
        }
        let text = line.trim().trim_end_matches('\\').trim_end().to_owned();
        if continued {
            let last = examples.last_mut().unwrap();
            last.push(' ');
            last.push_str(&text);
        } else {
            examples.push(text);
        }
        continued = line.trim_end().ends_with('\\');
    }
    assert_eq!(examples.len(), 5, "{examples:?}");
    let (gateway, examples) = (examples[3..].to_vec(), examples[..3].to_vec());
    let forward = stack.receiver.url("/webhooks");
    let mut endpoint_id = String::new();
    for (n, example) in examples.iter().enumerate() {
        let line = example
            .replace("SUB_ID", &f.subscription_id)
            .replace("ENDPOINT_ID", &endpoint_id)
            .replace("http://localhost:3000/webhooks", &forward);
        let mut cmd = bare();
        cmd.args(["--url", &stack.base, "--api-key", ADMIN_KEY])
            .env("HOOKD_URL", &stack.base)
            .env("HOOKD_API_KEY", ADMIN_KEY);
        let line = line.replacen("hookctl ", "", 1);
        let words: Vec<String> = shell_words(&line);
        cmd.args(&words);
        if n == 0 {
            let run = crate::output(cmd).await;
            assert!(run.ok, "{line}: {}{}", run.stdout, run.stderr);
            endpoint_id = run
                .stdout
                .lines()
                .find_map(|l| l.strip_prefix("id ").map(|v| v.trim().to_owned()))
                .unwrap_or_else(|| panic!("no id in {}", run.stdout));
            let id: uuid::Uuid = endpoint_id.parse().unwrap();
            stack.wait_view(|v| v.endpoint(id).is_some()).await;
            continue;
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let m = send(&stack, &f, n as i64).await;
        let printed = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let l = lines.next_line().await.unwrap().expect("still running");
                if l.contains(&m) {
                    return l;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{line} printed nothing for {m}"));
        assert!(printed.contains("200"), "{printed}");
        assert!(printed.contains("succeeded"), "{printed}");
        child.kill().await.unwrap();
    }
    assert_eq!(stack.receiver.received_at("/webhooks").len(), 2);

    // The gateway's: a connection to a CLI destination, then `listen --source`, which forwards
    // to the local URL followed by the destination's cli_path.
    let run = run_example(&stack, &gateway[0]).await;
    assert!(run.ok, "{}: {}{}", gateway[0], run.stdout, run.stderr);
    let line = gateway[1].replace("http://localhost:3000", &stack.receiver.url("/local"));
    let mut cmd = example_cmd(&stack, &line);
    cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let sources = stack.api.get("/2024-03-01/sources?name=shop").await.body;
    let url = sources["models"][0]["url"].as_str().unwrap().to_owned();
    let r = stack
        .api
        .with_key(None)
        .raw(
            "POST",
            url.strip_prefix(&stack.base).unwrap(),
            Some(b"{}".to_vec().into()),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let printed = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap_or_else(|_| panic!("{line} printed nothing"))
        .unwrap()
        .expect("still running");
    assert!(printed.contains("POST /webhooks"), "{printed}");
    assert!(printed.contains("200"), "{printed}");
    assert!(printed.contains("SUCCESSFUL"), "{printed}");
    child.kill().await.unwrap();
    assert_eq!(stack.receiver.received_at("/local/webhooks").len(), 1);
    stack.stop().await;
}

/// `hookctl` with an example's words, against the stack.
fn example_cmd(stack: &TestStack, line: &str) -> tokio::process::Command {
    let mut cmd = bare();
    cmd.args(["--url", &stack.base, "--api-key", ADMIN_KEY]);
    cmd.args(shell_words(&line.replacen("hookctl ", "", 1)));
    cmd
}

async fn run_example(stack: &TestStack, line: &str) -> crate::Run {
    crate::output(example_cmd(stack, line)).await
}

/// Splits an example as bash would (single quotes only, which is all the examples use).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    words
}
