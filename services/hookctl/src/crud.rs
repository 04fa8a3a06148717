//! The verbs every resource shares: list (and follow), get, create, update, delete, retry.

use crate::client::Api;
use crate::error::CliError;
use crate::output::{self, Format};
use crate::resources::{fill, Resource, Scope};
use clap::ArgMatches;
use http::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

/// The scope whose parent flag was given (or the one without a parent), and that parent.
fn scoped<'a>(
    scopes: &'a [&'a Scope],
    args: &ArgMatches,
) -> Result<(&'a Scope, Option<String>), CliError> {
    for scope in scopes {
        match scope.parent {
            Some((flag, _)) => {
                if let Some(parent) = args.get_one::<String>(flag) {
                    return Ok((scope, Some(parent.clone())));
                }
            }
            None => return Ok((scope, None)),
        }
    }
    let flags: Vec<String> = scopes
        .iter()
        .filter_map(|s| s.parent.map(|p| format!("--{}", p.0)))
        .collect();
    Err(CliError::usage(format!(
        "one of {} is needed",
        flags.join(", ")
    )))
}

fn id(args: &ArgMatches) -> Option<&str> {
    args.get_one::<String>("id").map(String::as_str)
}

fn item_path(r: &Resource, template: &str, args: &ArgMatches) -> Result<String, CliError> {
    let item = r
        .item
        .as_ref()
        .expect("the command exists only with an item");
    let (_, parent) = scoped(&[item], args)?;
    Ok(fill(template, parent.as_deref(), id(args)))
}

pub fn body(args: &ArgMatches) -> Result<Value, CliError> {
    let sets: Vec<String> = args
        .get_many::<String>("set")
        .map(|v| v.cloned().collect())
        .unwrap_or_default();
    crate::body::build(args.get_one::<String>("data").map(String::as_str), &sets)
}

pub async fn run(
    api: &Api,
    r: &'static Resource,
    verb: &str,
    args: &ArgMatches,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match verb {
        "list" => list(api, r, args, format, out).await,
        "get" => {
            let path = item_path(r, r.item.as_ref().unwrap().path, args)?;
            let model = api.get(&path, &[]).await?;
            output::show(out, format, &model)
        }
        "create" => {
            let scope = r.create.as_ref().unwrap();
            let (_, parent) = scoped(&[scope], args)?;
            let path = fill(scope.path, parent.as_deref(), None);
            let model = api.send(Method::POST, &path, Some(&body(args)?)).await?;
            output::show(out, format, &model)
        }
        "update" => {
            let path = item_path(r, r.item.as_ref().unwrap().path, args)?;
            let method = r.update.clone().unwrap();
            let model = api.send(method, &path, Some(&body(args)?)).await?;
            output::show(out, format, &model)
        }
        "delete" => {
            let path = item_path(r, r.item.as_ref().unwrap().path, args)?;
            api.send(Method::DELETE, &path, None).await?;
            match format {
                Format::Json => output::json(out, &json!({"deleted": id(args)}))?,
                Format::Table => writeln!(out, "deleted {}", id(args).unwrap_or_default())?,
            }
            Ok(())
        }
        "retry" => retry(api, r, args, format, out).await,
        other => Err(CliError::usage(format!("unknown command `{other}`"))),
    }
}

fn query(args: &ArgMatches) -> Result<Vec<(String, String)>, CliError> {
    let mut query = Vec::new();
    if let Some(limit) = args.get_one::<u32>("limit") {
        query.push(("limit".to_owned(), limit.to_string()));
    }
    for f in args.get_many::<String>("filter").into_iter().flatten() {
        let (k, v) = f
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("--filter {f}: expected FIELD=VALUE")))?;
        query.push((k.to_owned(), v.to_owned()));
    }
    Ok(query)
}

fn models(page: &Value) -> Vec<Value> {
    page["models"].as_array().cloned().unwrap_or_default()
}

/// The next page's query: the base query and `next` = the cursor of `page`, if it has one.
fn next_page(base: &[(String, String)], page: &Value) -> Option<Vec<(String, String)>> {
    let cursor = page["pagination"]["next"].as_str()?;
    let mut q: Vec<(String, String)> = base.iter().filter(|(k, _)| k != "next").cloned().collect();
    q.push(("next".to_owned(), cursor.to_owned()));
    Some(q)
}

async fn list(
    api: &Api,
    r: &'static Resource,
    args: &ArgMatches,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let scopes: Vec<&Scope> = r.lists.iter().collect();
    let (scope, parent) = scoped(&scopes, args)?;
    let path = fill(scope.path, parent.as_deref(), None);
    let base = query(args)?;
    if args.get_flag("follow") {
        let interval = Duration::from_millis(*args.get_one::<u64>("interval").unwrap());
        return follow(api, r, &path, &base, interval, format, out).await;
    }
    let mut page = api.get(&path, &base).await?;
    if args.get_flag("all") {
        let mut all = models(&page);
        while let Some(q) = next_page(&base, &page) {
            page = api.get(&path, &q).await?;
            all.extend(models(&page));
        }
        page = json!({"models": all, "count": all.len()});
    }
    match format {
        Format::Json => output::json(out, &page)?,
        Format::Table => output::table(out, r.columns, &models(&page))?,
    }
    Ok(())
}

/// Polls the newest page (and the pages after it down to the newest model seen before), and
/// prints each model that is new or whose shown fields changed, oldest first: new messages as
/// they are sent, deliveries as their status moves. Runs until interrupted.
async fn follow(
    api: &Api,
    r: &'static Resource,
    path: &str,
    base: &[(String, String)],
    interval: Duration,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let mut shown: HashMap<String, String> = HashMap::new();
    // The newest `created_at` seen: pages are fetched until one reaches back to it.
    let mut watermark: Option<String> = None;
    let widths: Vec<usize> = r.columns.iter().map(|c| c.len().max(12)).collect();
    if format == Format::Table {
        let header: Vec<String> = r.columns.iter().map(|c| c.to_uppercase()).collect();
        writeln!(out, "{}", output::line(&header, &widths))?;
        out.flush()?;
    }
    loop {
        let mut page = api.get(path, base).await?;
        let mut fresh = models(&page);
        for _ in 0..50 {
            let reached = match (&watermark, fresh.last()) {
                (None, _) | (_, None) => true,
                (Some(mark), Some(oldest)) => oldest["created_at"].as_str() <= Some(mark.as_str()),
            };
            let Some(q) = next_page(base, &page).filter(|_| !reached) else {
                break;
            };
            page = api.get(path, &q).await?;
            fresh.extend(models(&page));
        }
        for model in fresh.iter().rev() {
            let key = output::cell(&model[r.key]);
            let print: Vec<String> = r
                .columns
                .iter()
                .map(|c| output::cell(output::field(model, c)))
                .collect();
            let fingerprint = print.join("\u{1f}");
            if shown.get(&key) == Some(&fingerprint) {
                continue;
            }
            match format {
                Format::Json => writeln!(out, "{model}")?,
                Format::Table => writeln!(out, "{}", output::line(&print, &widths))?,
            }
            shown.insert(key, fingerprint);
            if let Some(at) = model["created_at"].as_str() {
                if watermark.as_deref().is_none_or(|w| at > w) {
                    watermark = Some(at.to_owned());
                }
            }
        }
        out.flush()?;
        tokio::time::sleep(interval).await;
    }
}

async fn retry(
    api: &Api,
    r: &'static Resource,
    args: &ArgMatches,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let answer = match (id(args), args.try_get_one::<String>("app").ok().flatten()) {
        (Some(id), _) => {
            let path = fill(r.retry.unwrap(), None, Some(id));
            api.send(Method::POST, &path, None).await?
        }
        (None, Some(app)) => {
            let mut filter = serde_json::Map::new();
            for (flag, field) in [
                ("status", "status"),
                ("endpoint", "endpoint_id"),
                ("event-type", "event_type"),
            ] {
                if let Some(v) = args.get_one::<String>(flag) {
                    filter.insert(field.into(), json!(v));
                }
            }
            if let Some(since) = args.get_one::<String>("since") {
                filter.insert("created_at".into(), json!({"gte": since}));
            }
            let path = fill("/api/v1/apps/{parent}/deliveries/retry", Some(app), None);
            api.send(Method::POST, &path, Some(&Value::Object(filter)))
                .await?
        }
        (None, None) => return Err(CliError::usage("an id, or --app for a bulk retry")),
    };
    match format {
        Format::Json => output::json(out, &answer)?,
        Format::Table => match answer.get("count") {
            Some(count) => writeln!(out, "retrying {count}")?,
            None => output::object(out, &answer)?,
        },
    }
    Ok(())
}
