//! `GET /apps/{app_id}/export` (issue 17): the app as NDJSON, streamed one keyset page at a
//! time from PostgreSQL into the response, so memory stays one page whatever the app's size.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::routes::check_app;
use crate::state::AppState;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::stream::{self, Stream};
use hookd_db::export::{self, ExportKind, Position};
use hookd_db::Pool;
use tracing::Instrument;
use uuid::Uuid;

/// Rows per query and per chunk written: a few hundred KiB at most.
const PAGE: i64 = 500;

/// What to export: the kinds (all by default) and a date range of messages and deliveries.
struct ExportQuery {
    kinds: Vec<ExportKind>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

fn time(name: &str, value: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::invalid(format!("{name} must be an RFC 3339 time"))
                .with_data(serde_json::json!({ "field": name }))
        })
}

fn parse_query(raw: &str) -> Result<ExportQuery, ApiError> {
    let mut q = ExportQuery {
        kinds: ExportKind::ALL.to_vec(),
        since: None,
        until: None,
    };
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        match name.as_ref() {
            "include" => {
                let mut kinds = Vec::new();
                for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let kind = ExportKind::ALL
                        .into_iter()
                        .find(|k| k.plural() == part)
                        .ok_or_else(|| {
                            ApiError::invalid(format!(
                                "include: unknown kind `{part}` (event_types, subscriptions, \
                                 endpoints, messages, deliveries)"
                            ))
                            .with_data(serde_json::json!({ "field": "include" }))
                        })?;
                    kinds.push(kind);
                }
                if kinds.is_empty() {
                    return Err(ApiError::invalid("include must name at least one kind"));
                }
                // Written in the fixed order whatever the order asked.
                q.kinds = ExportKind::ALL
                    .into_iter()
                    .filter(|k| kinds.contains(k))
                    .collect();
            }
            "since" => q.since = Some(time("since", &value)?),
            "until" => q.until = Some(time("until", &value)?),
            other => {
                return Err(ApiError::invalid(format!(
                    "unknown query parameter `{other}`"
                )));
            }
        }
    }
    if let (Some(since), Some(until)) = (q.since, q.until) {
        if since >= until {
            return Err(ApiError::invalid("since must be before until"));
        }
    }
    Ok(q)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_app);
}

/// Export the app as NDJSON: one JSON object per line, each with a `kind` (`event_type`,
/// `subscription`, `endpoint`, `message`, `delivery`) and its `id` and `created_at`, written
/// kind by kind in that order, oldest first; the last line is `{"kind":"end","lines":N}`, so a
/// cut transfer shows. Endpoint secrets are never exported. The rows are read page by page, not
/// in one snapshot: rows written during the export may or may not appear.
#[utoipa::path(tag = "apps",
    params(
        ("include" = Option<String>, Query, description = "comma-separated kinds to export: event_types, subscriptions, endpoints, messages, deliveries (default: all)"),
        ("since" = Option<String>, Query, description = "RFC 3339: only messages and deliveries created at or after it"),
        ("until" = Option<String>, Query, description = "RFC 3339: only messages and deliveries created before it"),
    ),
    responses(
        (status = 200, content_type = "application/x-ndjson", body = String, description = "one JSON object per line"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/apps/{app_id}/export")]
async fn export_app(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    check_app(&state, &caller, *app_id).await?;
    let q = parse_query(req.query_string())?;
    let body = lines(state.pool.clone(), *app_id, q);
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(body))
}

/// Where the stream is: the kinds left (current first), the position in the current one.
struct Cursor {
    pool: Pool,
    app_id: Uuid,
    kinds: std::collections::VecDeque<ExportKind>,
    after: Position,
    range: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    lines: u64,
    done: bool,
    span: tracing::Span,
}

/// The body: one chunk per page, then the end line. A database error ends the stream early
/// (the status is sent already): the client sees a transfer cut without its end line.
fn lines(
    pool: Pool,
    app_id: Uuid,
    q: ExportQuery,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + 'static {
    let cursor = Cursor {
        pool,
        app_id,
        kinds: q.kinds.into(),
        after: export::start(),
        range: (q.since, q.until),
        lines: 0,
        done: false,
        span: tracing::info_span!("export", app_id = %app_id, lines = tracing::field::Empty),
    };
    stream::try_unfold(cursor, |c| {
        let span = c.span.clone();
        next_chunk(c).instrument(span)
    })
}

/// The next chunk of the body and the cursor after it; `None` after the end line.
async fn next_chunk(mut c: Cursor) -> Result<Option<(Bytes, Cursor)>, std::io::Error> {
    if c.done {
        return Ok(None);
    }
    loop {
        let Some(&kind) = c.kinds.front() else {
            c.done = true;
            tracing::Span::current().record("lines", c.lines);
            tracing::info!(app_id = %c.app_id, lines = c.lines, "export written");
            let end = format!("{{\"kind\":\"end\",\"lines\":{}}}\n", c.lines);
            return Ok(Some((Bytes::from(end), c)));
        };
        let page = {
            match c.pool.get().await {
                Ok(client) => export::page(&client, kind, c.app_id, c.after, c.range, PAGE).await,
                Err(e) => Err(hookd_db::DbError::from(e)),
            }
        };
        let (rows, last) = page.map_err(|e| {
            tracing::error!(app_id = %c.app_id, kind = kind.name(), error = %e,
                    "export stopped: the database failed");
            std::io::Error::other(e.to_string())
        })?;
        if (rows.len() as i64) < PAGE {
            c.kinds.pop_front();
            c.after = export::start();
        } else if let Some(last) = last {
            c.after = last;
        }
        if rows.is_empty() {
            continue;
        }
        c.lines += rows.len() as u64;
        let mut chunk = String::with_capacity(rows.iter().map(|r| r.len() + 1).sum());
        for row in rows {
            chunk.push_str(&row);
            chunk.push('\n');
        }
        return Ok(Some((Bytes::from(chunk), c)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_selects_kinds_in_the_fixed_order() {
        let q = parse_query("include=deliveries,event_types").unwrap();
        assert_eq!(q.kinds, vec![ExportKind::EventType, ExportKind::Delivery]);
        assert_eq!(parse_query("").unwrap().kinds.len(), 5);
    }

    #[test]
    fn bad_queries_are_422() {
        for raw in [
            "include=widgets",
            "include=",
            "since=yesterday",
            "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
            "limit=5",
        ] {
            let e = parse_query(raw).err().expect(raw);
            assert_eq!(e.status.as_u16(), 422, "{raw}");
        }
    }
}
