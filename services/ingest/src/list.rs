//! The query forms of every list (`/api/v1` and the gateway's `/2024-03-01`): `limit`, `dir`,
//! `next`, `prev`, `order_by`, and filters: `f=v`, many values `f=a&f=b` or `f[]=a`,
//! `f[gte|gt|lte|lt]=` (`le` = `lt`) on times and numbers, `f[contains]=` on text,
//! `f[any]=true|false` (set or not), and a bare date for a time meaning that whole day.

use crate::error::ApiError;
use actix_web::HttpRequest;
use chrono::{DateTime, NaiveDate, Utc};
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
    /// A gateway id: the prefix (`src_`) and the UUID in hex. A malformed one matches nothing.
    Id(&'static str),
    Time,
    /// A whole number: exact match and the `gte`, `gt`, `lte`, `lt` operators.
    Int,
    Bool,
}

/// A column a list may be filtered on: its query name and its SQL expression.
pub type Filterable = (&'static str, &'static str, Kind);

/// What a list accepts: its filters and its `order_by` keys (name, SQL time expression; the
/// first is the default, `None` for the table's `created_at`).
pub struct ListSpec<'a> {
    pub filterable: &'a [Filterable],
    pub order_by: &'a [(&'static str, Option<&'static str>)],
}

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

/// Query parameters of a list.
pub struct ListQuery {
    pub page: Page,
    pub filters: Vec<Filter>,
    pub order_by: &'static str,
}

impl ListQuery {
    /// A list ordered by `created_at` only.
    pub fn parse(req: &HttpRequest, filterable: &[Filterable]) -> Result<Self, ApiError> {
        Self::parse_spec(
            req,
            &ListSpec {
                filterable,
                order_by: &[("created_at", None)],
            },
        )
    }

    pub fn parse_spec(req: &HttpRequest, spec: &ListSpec<'_>) -> Result<Self, ApiError> {
        Self::parse_query(req.query_string(), spec)
    }

    pub fn parse_query(query: &str, spec: &ListSpec<'_>) -> Result<Self, ApiError> {
        let mut page = Page {
            limit: DEFAULT_LIMIT,
            dir: Dir::Desc,
            after: None,
            before: None,
            order: spec.order_by.first().and_then(|o| o.1),
        };
        let mut order_by = spec.order_by.first().map_or("created_at", |o| o.0);
        // (name, operator) → values, in the order they first appear.
        let mut groups: Vec<(String, String, Vec<String>)> = Vec::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
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
                "order_by" => {
                    let (name, column) = spec
                        .order_by
                        .iter()
                        .find(|(name, _)| *name == value)
                        .ok_or_else(|| {
                            let names: Vec<&str> = spec.order_by.iter().map(|o| o.0).collect();
                            ApiError::invalid(format!("order_by must be {}", names.join(" or ")))
                        })?;
                    order_by = name;
                    page.order = *column;
                }
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
                    let (name, op) = match other.split_once('[') {
                        Some((name, rest)) => (name, rest.trim_end_matches(']')),
                        None => (other, ""),
                    };
                    // `f[]=` and `f[0]=` are list items, like a repeated `f=`.
                    let op = if op.chars().all(|c| c.is_ascii_digit()) {
                        ""
                    } else {
                        op
                    };
                    match groups.iter_mut().find(|g| g.0 == name && g.1 == op) {
                        Some(group) => group.2.push(value.into_owned()),
                        None => groups.push((name.to_owned(), op.to_owned(), vec![value.into()])),
                    }
                }
            }
        }
        if page.after.is_some() && page.before.is_some() {
            return Err(ApiError::invalid("give next or prev, not both"));
        }
        let mut filters = Vec::new();
        for (name, op, values) in &groups {
            // Unknown parameters are ignored, as most APIs do.
            if let Some(&(_, column, kind)) = spec.filterable.iter().find(|f| f.0 == name) {
                parse_filter(name, column, kind, op, values, &mut filters)?;
            }
        }
        Ok(Self {
            page,
            filters,
            order_by,
        })
    }

    pub fn dir_name(&self) -> &'static str {
        if self.page.dir == Dir::Asc {
            "asc"
        } else {
            "desc"
        }
    }

    pub fn respond<T>(&self, listed: Listed<T>) -> ListResponse<T> {
        ListResponse {
            count: listed.models.len(),
            models: listed.models,
            pagination: Pagination {
                order_by: self.order_by.into(),
                dir: self.dir_name().into(),
                limit: self.page.limit,
                next: listed.next,
                prev: listed.prev,
            },
        }
    }
}

fn parse_filter(
    name: &str,
    column: &'static str,
    kind: Kind,
    op: &str,
    values: &[String],
    out: &mut Vec<Filter>,
) -> Result<(), ApiError> {
    let mut push = |op: Op, value: FilterValue| out.push(Filter { column, op, value });
    let bad = |what: &str| ApiError::invalid(format!("{name} must be {what}"));
    let single = || -> Result<&str, ApiError> {
        match values {
            [one] => Ok(one.as_str()),
            _ => Err(ApiError::invalid(format!("{name}[{op}] takes one value"))),
        }
    };
    match op {
        "" | "eq" | "in" if values.len() > 1 || op == "in" => {
            let list = scalars(name, kind, values)?;
            push(Op::In, list);
        }
        "" | "eq" => match (kind, day(single()?)) {
            (Kind::Time, Some((start, end))) => {
                push(Op::Gte, FilterValue::Time(start));
                push(Op::Lt, FilterValue::Time(end));
            }
            _ => push(Op::Eq, scalar(name, kind, single()?)?),
        },
        "any" => match single()? {
            "true" => push(Op::NotNull, FilterValue::Nothing),
            "false" => push(Op::IsNull, FilterValue::Nothing),
            _ => return Err(bad("[any] true or false")),
        },
        "contains" => {
            if !matches!(kind, Kind::Text) {
                return Err(ApiError::invalid(format!(
                    "{name} does not support contains"
                )));
            }
            push(Op::Contains, scalar(name, kind, single()?)?);
        }
        "gte" | "gt" | "lte" | "lt" | "le" => {
            if !matches!(kind, Kind::Time | Kind::Int) {
                return Err(ApiError::invalid(format!(
                    "{name} only supports exact match"
                )));
            }
            let raw = single()?;
            // A bare date is that whole day: `lte` a day includes it, `gt` a day excludes it.
            let (op, value) = match (kind, day(raw)) {
                (Kind::Time, Some((start, end))) => match op {
                    "gte" => (Op::Gte, start),
                    "gt" => (Op::Gte, end),
                    "lte" => (Op::Lt, end),
                    _ => (Op::Lt, start),
                },
                _ => {
                    let op = match op {
                        "gte" => Op::Gte,
                        "gt" => Op::Gt,
                        "lte" => Op::Lte,
                        _ => Op::Lt,
                    };
                    push(op, scalar(name, kind, raw)?);
                    return Ok(());
                }
            };
            push(op, FilterValue::Time(value));
        }
        other => {
            return Err(ApiError::invalid(format!(
                "unknown operator `{other}` on {name}"
            )))
        }
    }
    Ok(())
}

/// `2026-01-21` → that day's start and the next day's start (UTC).
fn day(raw: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    let start = date.and_hms_opt(0, 0, 0)?.and_utc();
    Some((start, start + chrono::Duration::days(1)))
}

fn scalar(name: &str, kind: Kind, value: &str) -> Result<FilterValue, ApiError> {
    let bad = |what: &str| ApiError::invalid(format!("{name} must be {what}"));
    Ok(match kind {
        Kind::Time => FilterValue::Time(
            DateTime::parse_from_rfc3339(value)
                .map_err(|_| bad("an ISO 8601 time or a date"))?
                .with_timezone(&Utc),
        ),
        Kind::Uuid => FilterValue::Uuid(value.parse().map_err(|_| bad("a UUID"))?),
        // An id that cannot exist matches nothing (like any other unknown id).
        Kind::Id(prefix) => FilterValue::Uuid(
            crate::gateway::ids::parse(prefix, value).unwrap_or(uuid::Uuid::nil()),
        ),
        Kind::Int => FilterValue::Int(value.parse().map_err(|_| bad("a whole number"))?),
        Kind::Bool => FilterValue::Bool(match value {
            "true" => true,
            "false" => false,
            _ => return Err(bad("true or false")),
        }),
        Kind::OneOf(allowed) => {
            if !allowed.contains(&value) {
                return Err(bad(&format!("one of {}", allowed.join(", "))));
            }
            FilterValue::Text(value.to_owned())
        }
        Kind::Text => {
            if value.contains('\0') {
                // PostgreSQL text cannot hold it: no row could match, and the query would fail.
                return Err(bad("free of the NUL character"));
            }
            FilterValue::Text(value.to_owned())
        }
    })
}

fn scalars(name: &str, kind: Kind, values: &[String]) -> Result<FilterValue, ApiError> {
    let mut parsed = Vec::with_capacity(values.len());
    for v in values {
        parsed.push(scalar(name, kind, v)?);
    }
    let mut texts = Vec::new();
    let mut uuids = Vec::new();
    let mut ints = Vec::new();
    let mut times = Vec::new();
    for v in parsed {
        match v {
            FilterValue::Text(t) => texts.push(t),
            FilterValue::Uuid(u) => uuids.push(u),
            FilterValue::Int(i) => ints.push(i),
            FilterValue::Time(t) => times.push(t),
            _ => return Err(ApiError::invalid(format!("{name} takes one value"))),
        }
    }
    Ok(match kind {
        Kind::Uuid | Kind::Id(_) => FilterValue::Uuids(uuids),
        Kind::Int => FilterValue::Ints(ints),
        Kind::Time => FilterValue::Times(times),
        _ => FilterValue::Texts(texts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: ListSpec<'static> = ListSpec {
        filterable: &[
            ("created_at", "x.created_at", Kind::Time),
            ("name", "x.name", Kind::Text),
            ("n", "x.n", Kind::Int),
            ("status", "x.status", Kind::OneOf(&["a", "b"])),
        ],
        order_by: &[("created_at", None), ("updated_at", Some("x.updated_at"))],
    };

    fn ops(q: &str) -> Vec<(&'static str, Op)> {
        ListQuery::parse_query(q, &SPEC)
            .unwrap()
            .filters
            .iter()
            .map(|f| (f.column, f.op))
            .collect()
    }

    #[test]
    fn the_query_forms_become_filters() {
        assert_eq!(ops("name=a&name=b"), [("x.name", Op::In)]);
        assert_eq!(ops("status[]=a&status[]=b"), [("x.status", Op::In)]);
        assert_eq!(ops("name[contains]=z"), [("x.name", Op::Contains)]);
        assert_eq!(ops("n[any]=true"), [("x.n", Op::NotNull)]);
        assert_eq!(ops("n[any]=false"), [("x.n", Op::IsNull)]);
        assert_eq!(ops("n[le]=3"), [("x.n", Op::Lt)]);
        assert_eq!(
            ops("created_at=2026-01-21"),
            [("x.created_at", Op::Gte), ("x.created_at", Op::Lt)]
        );
        assert_eq!(
            ops("created_at[lte]=2026-01-21"),
            [("x.created_at", Op::Lt)]
        );
        assert_eq!(
            ops("created_at[gt]=2026-01-21"),
            [("x.created_at", Op::Gte)]
        );
        assert_eq!(ops("unknown=1"), []);
    }

    #[test]
    fn bad_forms_are_422() {
        for q in [
            "limit=0",
            "limit=251",
            "order_by=name",
            "dir=up",
            "status=c",
            "n[contains]=1",
            "name[gte]=a",
            "n[any]=maybe",
            "created_at=yesterday",
            "n[xx]=1",
        ] {
            let e = ListQuery::parse_query(q, &SPEC)
                .err()
                .unwrap_or_else(|| panic!("{q}"));
            assert_eq!(e.status.as_u16(), 422, "{q}");
        }
        let q = ListQuery::parse_query("order_by=updated_at", &SPEC).unwrap();
        assert_eq!(
            (q.order_by, q.page.order),
            ("updated_at", Some("x.updated_at"))
        );
    }
}
