//! Cursor pagination walked over several pages in both directions while another task inserts
//! rows: no row is skipped, none is repeated, and walking back retraces the same pages.

use crate::helpers::*;
use crate::support::*;
use hookd_testkit::ApiClient;
use serde_json::{json, Value};
use std::collections::HashSet;
use tokio::sync::watch;

const LIMIT: usize = 5;

/// Inserts apps named `{prefix}-{i}` in a spawned task, concurrently with the walk, but never
/// more than two ahead of the pages the walk has fetched, so inserts are spread over it.
struct Inserter {
    inserted: watch::Receiver<usize>,
    fetched: watch::Sender<usize>,
    task: tokio::task::JoinHandle<Vec<String>>,
    total: usize,
    seen: usize,
}

impl Inserter {
    fn start(api: ApiClient, prefix: &'static str, total: usize) -> Self {
        let (inserted_tx, inserted) = watch::channel(0);
        let (fetched, mut fetched_rx) = watch::channel(0usize);
        let task = tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..total {
                let allowed = |fetched: &usize| i < 2 * (fetched + 1);
                fetched_rx.wait_for(allowed).await.expect("walk alive");
                let app = created(
                    api.post("/api/v1/apps", &json!({"name": format!("{prefix}-{i}")}))
                        .await,
                );
                ids.push(id(&app));
                inserted_tx.send_replace(i + 1);
            }
            ids
        });
        Self {
            inserted,
            fetched,
            task,
            total,
            seen: 0,
        }
    }

    /// Waits until a row was inserted since the last page (unless all are in), then counts
    /// one more page fetched.
    async fn between_pages(&mut self) {
        if self.seen < self.total {
            let want = self.seen + 1;
            self.seen = *self.inserted.wait_for(|n| *n >= want).await.unwrap();
        }
        self.fetched.send_modify(|n| *n += 1);
    }

    async fn finish(self) -> Vec<String> {
        self.fetched.send_replace(usize::MAX / 4);
        self.task.await.unwrap()
    }
}

async fn page(api: &ApiClient, query: &str) -> Value {
    let r = api
        .get(&format!("/api/v1/apps?limit={LIMIT}&{query}"))
        .await;
    assert_eq!(r.status, 200, "{query}: {}", r.text);
    assert_eq!(
        r.body["count"].as_u64().unwrap() as usize,
        ids(&r.body).len()
    );
    assert_eq!(r.body["pagination"]["limit"], LIMIT);
    r.body
}

fn cursor(page: &Value, which: &str) -> Option<String> {
    page["pagination"][which].as_str().map(str::to_owned)
}

/// (created_at, id) of each model: the order of the list.
fn keys(models: &[Value]) -> Vec<(chrono::DateTime<chrono::Utc>, String)> {
    models
        .iter()
        .map(|m| {
            let at = chrono::DateTime::parse_from_rfc3339(m["created_at"].as_str().unwrap())
                .unwrap()
                .with_timezone(&chrono::Utc);
            (at, id(m))
        })
        .collect()
}

fn models(pages: &[Value]) -> Vec<Value> {
    pages
        .iter()
        .flat_map(|p| p["models"].as_array().unwrap().clone())
        .collect()
}

/// Asserts strictly descending (or ascending) order, hence no repeat.
fn assert_ordered(models: &[Value], descending: bool) {
    let keys = keys(models);
    for pair in keys.windows(2) {
        let ordered = if descending {
            pair[0] > pair[1]
        } else {
            pair[0] < pair[1]
        };
        assert!(ordered, "out of order or repeated: {pair:?}");
    }
    let unique: HashSet<&String> = keys.iter().map(|(_, id)| id).collect();
    assert_eq!(unique.len(), keys.len(), "a row is repeated");
}

async fn seed(stack: &TestStack, n: usize) -> Vec<String> {
    let mut seeded = Vec::new();
    for i in 0..n {
        let app = created(
            stack
                .api
                .post("/api/v1/apps", &json!({"name": format!("seed-{i}")}))
                .await,
        );
        seeded.push(id(&app));
    }
    seeded
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn walking_newest_first_then_back_skips_and_repeats_nothing_while_rows_arrive() {
    let stack = TestStack::spawn().await;
    let seeded = seed(&stack, 23).await;
    let mut inserter = Inserter::start(stack.api.clone(), "late", 20);
    let api = &stack.api;

    // Forward (next), newest first.
    inserter.between_pages().await;
    let mut forward = vec![page(api, "").await];
    assert_eq!(
        forward[0]["pagination"]["prev"],
        Value::Null,
        "the first page has a prev"
    );
    while let Some(next) = cursor(forward.last().unwrap(), "next") {
        inserter.between_pages().await;
        let p = page(api, &format!("next={next}")).await;
        assert!(
            cursor(&p, "prev").is_some(),
            "a later page has no prev: {p}"
        );
        forward.push(p);
    }
    assert!(forward.len() >= 5, "only {} pages", forward.len());
    for p in &forward[..forward.len() - 1] {
        assert_eq!(ids(p).len(), LIMIT, "a short page before the last");
    }
    let forward_models = models(&forward);
    assert_ordered(&forward_models, true);
    let forward_ids: Vec<String> = forward_models.iter().map(id).collect();
    for s in &seeded {
        assert!(forward_ids.contains(s), "seeded app {s} skipped");
    }

    // Back (prev) from the last page: the same pages in reverse, then the rows inserted
    // meanwhile, newer than all of them, until there is nothing newer.
    let mut at = forward.last().unwrap().clone();
    for expected in forward.iter().rev().skip(1) {
        inserter.between_pages().await;
        let prev = cursor(&at, "prev").expect("prev while walking back");
        at = page(api, &format!("prev={prev}")).await;
        assert_eq!(ids(&at), ids(expected), "walking back gave another page");
        assert!(
            cursor(&at, "next").is_some(),
            "a page walked back to has no next"
        );
    }
    let mut newer_pages = Vec::new();
    while let Some(prev) = cursor(&at, "prev") {
        inserter.between_pages().await;
        at = page(api, &format!("prev={prev}")).await;
        newer_pages.push(at.clone());
    }
    let late = inserter.finish().await;
    newer_pages.reverse();
    let newer_models = models(&newer_pages);
    assert!(!newer_models.is_empty(), "no row arrived during the walk");
    let mut both = newer_models.clone();
    both.extend(forward_models.iter().cloned());
    assert_ordered(&both, true);
    for m in &newer_models {
        assert!(
            late.contains(&id(m)),
            "{m} was not inserted during the walk"
        );
    }

    // Nothing was skipped: the whole list ends with exactly what the walks saw, and what is
    // before that arrived after the walk back ended.
    let all = ok(api.get("/api/v1/apps?limit=250").await);
    let all_ids = ids(&all);
    assert_eq!(all_ids.len(), seeded.len() + late.len());
    let seen: Vec<String> = both.iter().map(id).collect();
    assert_eq!(all_ids[all_ids.len() - seen.len()..], seen[..]);
    for unseen in &all_ids[..all_ids.len() - seen.len()] {
        assert!(late.contains(unseen));
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn walking_oldest_first_picks_up_rows_as_they_arrive_and_walks_back_the_same_pages() {
    let stack = TestStack::spawn().await;
    let seeded = seed(&stack, 12).await;
    let mut inserter = Inserter::start(stack.api.clone(), "late", 16);
    let api = &stack.api;

    inserter.between_pages().await;
    let mut forward = vec![page(api, "dir=asc").await];
    assert_eq!(forward[0]["pagination"]["dir"], "asc");
    while let Some(next) = cursor(forward.last().unwrap(), "next") {
        inserter.between_pages().await;
        forward.push(page(api, &format!("dir=asc&next={next}")).await);
    }
    let forward_models = models(&forward);
    assert_ordered(&forward_models, false);
    let forward_ids: Vec<String> = forward_models.iter().map(id).collect();
    assert_eq!(
        forward_ids[..seeded.len()],
        seeded[..],
        "the seeded apps, oldest first"
    );
    assert!(
        forward_ids.len() > seeded.len(),
        "no row arrived during the walk"
    );

    // Back from the last page: exactly the same pages, and the first has no prev.
    let mut at = forward.last().unwrap().clone();
    for expected in forward.iter().rev().skip(1) {
        let prev = cursor(&at, "prev").expect("prev while walking back");
        at = page(api, &format!("dir=asc&prev={prev}")).await;
        assert_eq!(ids(&at), ids(expected), "walking back gave another page");
    }
    assert_eq!(
        at["pagination"]["prev"],
        Value::Null,
        "there is something before the first page"
    );
    let late = inserter.finish().await;

    // The walk saw a prefix of the final list: no gap.
    let all = ids(&ok(api.get("/api/v1/apps?limit=250&dir=asc").await));
    assert_eq!(all.len(), seeded.len() + late.len());
    assert_eq!(all[..forward_ids.len()], forward_ids[..]);
    stack.stop().await;
}
