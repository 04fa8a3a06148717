use crate::error::ApiError;
use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use hookd_db::{Cursor, Dir, Filter, FilterValue, Listed, Op, Page};
use serde::Serialize;
use utoipa::ToSchema;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 250;

/// The type of a filterable column.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text,
    /// Text with a closed set of values (a status): anything else is 422, not an empty list.
    OneOf(&'static [&'static str]),
    Uuid,
    Time,
    /// A whole number: exact match and the `gte`, `gt`, `lte`, `lt` operators.
    Int,
}

/// A column a list may be filtered on: its query name and its SQL expression.
pub type Filterable = (&'static str, &'static str, Kind);

#[derive(Debug, Serialize, ToSchema)]
pub struct Pagination {
    pub order_by: String,
    pub dir: String,
    pub limit: i64,
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// `{"models": [...], "count": n, "pagination": {...}}`; `count` is the number of models in
/// this page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    pub models: Vec<T>,
    pub count: usize,
    pub pagination: Pagination,
}

/// Query parameters of a list: `limit`, `order_by`, `dir`, `next`, `prev` and filters
/// (`field=value`, `field[gte]=...`).
pub struct ListQuery {
    pub page: Page,
    pub filters: Vec<Filter>,
}

impl ListQuery {
    pub fn parse(req: &HttpRequest, filterable: &[Filterable]) -> Result<Self, ApiError> {
        let mut page = Page {
            limit: DEFAULT_LIMIT,
            dir: Dir::Desc,
            after: None,
            before: None,
        };
        let mut filters = Vec::new();
        for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
            match key.as_ref() {
                "limit" => {
                    page.limit = value
                        .parse::<i64>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            ApiError::invalid(format!("limit must be between 1 and {MAX_LIMIT}"))
                        })?
                }
                "order_by" if value != "created_at" => {
                    return Err(ApiError::invalid("order_by must be created_at"))
                }
                "order_by" => {}
                "dir" => {
                    page.dir = match value.as_ref() {
                        "asc" => Dir::Asc,
                        "desc" => Dir::Desc,
                        _ => return Err(ApiError::invalid("dir must be asc or desc")),
                    }
                }
                "next" | "prev" => {
                    let cursor = Cursor::decode(&value)
                        .ok_or_else(|| ApiError::invalid(format!("{key} is not a valid cursor")))?;
                    if key == "next" {
                        page.after = Some(cursor)
                    } else {
                        page.before = Some(cursor)
                    }
                }
                other => {
                    if let Some(filter) = parse_filter(other, &value, filterable)? {
                        filters.push(filter);
                    }
                }
            }
        }
        if page.after.is_some() && page.before.is_some() {
            return Err(ApiError::invalid("give next or prev, not both"));
        }
        Ok(Self { page, filters })
    }

    pub fn respond<T>(&self, listed: Listed<T>) -> ListResponse<T> {
        ListResponse {
            count: listed.models.len(),
            models: listed.models,
            pagination: Pagination {
                order_by: "created_at".into(),
                dir: if self.page.dir == Dir::Asc {
                    "asc"
                } else {
                    "desc"
                }
                .into(),
                limit: self.page.limit,
                next: listed.next,
                prev: listed.prev,
            },
        }
    }
}

fn parse_filter(
    key: &str,
    value: &str,
    filterable: &[Filterable],
) -> Result<Option<Filter>, ApiError> {
    let (name, op) = match key.split_once('[') {
        Some((name, rest)) => {
            let op = match rest.trim_end_matches(']') {
                "gte" => Op::Gte,
                "gt" => Op::Gt,
                "lte" => Op::Lte,
                "lt" => Op::Lt,
                "eq" => Op::Eq,
                other => {
                    return Err(ApiError::invalid(format!(
                        "unknown operator `{other}` on {name}"
                    )))
                }
            };
            (name, op)
        }
        None => (key, Op::Eq),
    };
    // Unknown parameters are ignored, as most APIs do.
    let Some(&(_, column, kind)) = filterable.iter().find(|(n, _, _)| *n == name) else {
        return Ok(None);
    };
    let bad = |what: &str| ApiError::invalid(format!("{name} must be {what}"));
    let value = match kind {
        Kind::Time => FilterValue::Time(
            DateTime::parse_from_rfc3339(value)
                .map_err(|_| bad("an ISO 8601 time"))?
                .with_timezone(&Utc),
        ),
        Kind::Uuid => FilterValue::Uuid(value.parse().map_err(|_| bad("a UUID"))?),
        Kind::Int => FilterValue::Int(value.parse().map_err(|_| bad("a whole number"))?),
        Kind::OneOf(allowed) => {
            if op != Op::Eq {
                return Err(ApiError::invalid(format!(
                    "{name} only supports exact match"
                )));
            }
            if !allowed.contains(&value) {
                return Err(bad(&format!("one of {}", allowed.join(", "))));
            }
            FilterValue::Text(value.to_owned())
        }
        Kind::Text => {
            if op != Op::Eq {
                return Err(ApiError::invalid(format!(
                    "{name} only supports exact match"
                )));
            }
            if value.contains('\0') {
                // PostgreSQL text cannot hold it: no row could match, and the query would fail.
                return Err(bad("free of the NUL character"));
            }
            FilterValue::Text(value.to_owned())
        }
    };
    Ok(Some(Filter { column, op, value }))
}
