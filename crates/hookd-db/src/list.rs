//! Keyset pagination over `(created_at, id)` (or another time column, `Page::order`) with
//! filters, shared by every list route (`/api/v1` and the gateway's `/2024-03-01`).

use crate::DbError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

/// A position in a list: the `(created_at, id)` of a row (`created_at` holds the ordering
/// column's time when the list is ordered by another). Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let raw = format!(
            "{}.{}",
            self.created_at.timestamp_micros(),
            self.id.simple()
        );
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        let (micros, id) = raw.split_once('.')?;
        Some(Self {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

/// Which page: the first, the one after a cursor (`next`) or the one before it (`prev`).
#[derive(Debug, Clone)]
pub struct Page {
    pub limit: i64,
    pub dir: Dir,
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    /// The time expression the list is ordered by (`c.updated_at`); `None` is the key's
    /// `created_at`. It must never be NULL (wrap nullable columns in `COALESCE`).
    pub order: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gt,
    Gte,
    Lt,
    Lte,
    /// One of a list of values (`id=a&id=b`, `status[]=x`).
    In,
    /// Text holding the value (`name[contains]=x`).
    Contains,
    /// Set or not (`f[any]=true|false`); the filter's value is ignored.
    NotNull,
    IsNull,
}

impl Op {
    /// The condition on `column` with the value as parameter `$n`.
    fn sql(self, column: &str, n: usize) -> String {
        match self {
            Op::Eq => format!("{column} = ${n}"),
            Op::Gt => format!("{column} > ${n}"),
            Op::Gte => format!("{column} >= ${n}"),
            Op::Lt => format!("{column} < ${n}"),
            Op::Lte => format!("{column} <= ${n}"),
            Op::In => format!("{column} = ANY(${n})"),
            // strpos, not LIKE: no wildcard in the value needs escaping.
            Op::Contains => format!("strpos({column}, ${n}) > 0"),
            Op::NotNull => format!("{column} IS NOT NULL"),
            Op::IsNull => format!("{column} IS NULL"),
        }
    }
}

#[derive(Debug, Clone)]
pub enum FilterValue {
    Text(String),
    Uuid(Uuid),
    Time(DateTime<Utc>),
    Int(i32),
    Bool(bool),
    Texts(Vec<String>),
    Uuids(Vec<Uuid>),
    Ints(Vec<i32>),
    Times(Vec<DateTime<Utc>>),
    /// For the operators that take no value.
    Nothing,
}

/// `column op value`; `column` comes from a fixed list in the caller, never from the client.
#[derive(Debug, Clone)]
pub struct Filter {
    pub column: &'static str,
    pub op: Op,
    pub value: FilterValue,
}

#[derive(Debug)]
pub struct Listed<T> {
    pub models: Vec<T>,
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// Appends ` AND <condition>` per filter, its value as the next parameter.
fn push_filters(
    sql: &mut String,
    params: &mut Vec<Box<dyn ToSql + Sync + Send>>,
    filters: &[Filter],
) {
    for f in filters {
        let param: Box<dyn ToSql + Sync + Send> = match &f.value {
            FilterValue::Nothing => {
                sql.push_str(&format!(" AND {}", f.op.sql(f.column, 0)));
                continue;
            }
            FilterValue::Text(v) => Box::new(v.clone()),
            FilterValue::Uuid(v) => Box::new(*v),
            FilterValue::Time(v) => Box::new(*v),
            FilterValue::Int(v) => Box::new(*v),
            FilterValue::Bool(v) => Box::new(*v),
            FilterValue::Texts(v) => Box::new(v.clone()),
            FilterValue::Uuids(v) => Box::new(v.clone()),
            FilterValue::Ints(v) => Box::new(v.clone()),
            FilterValue::Times(v) => Box::new(v.clone()),
        };
        params.push(param);
        sql.push_str(&format!(" AND {}", f.op.sql(f.column, params.len())));
    }
}

/// Runs `select` (`SELECT count(*) ... WHERE ...`) with the filters: how many rows a list
/// would walk through.
pub(crate) async fn count(
    client: &impl GenericClient,
    select: &str,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
    filters: &[Filter],
) -> Result<i64, DbError> {
    let mut params = params;
    let mut sql = select.to_owned();
    push_filters(&mut sql, &mut params, filters);
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
    Ok(client.query_one(&sql, &refs).await?.get(0))
}

/// Runs `select` (`SELECT ... WHERE ...` using `$1..$n` for `params`) with the filters and the
/// page. `key` is the table alias whose `id` (and `created_at`, unless `page.order` says
/// another time) orders the list.
pub(crate) async fn list<T>(
    client: &impl GenericClient,
    select: &str,
    key: &str,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
    filters: &[Filter],
    page: &Page,
    map: impl Fn(&Row) -> T,
) -> Result<Listed<T>, DbError> {
    let mut params = params;
    let order_at = page
        .order
        .map_or_else(|| format!("{key}.created_at"), str::to_owned);
    let rest = select.strip_prefix("SELECT ").unwrap_or(select);
    let mut sql = format!("SELECT {order_at} AS list_order_at, {key}.id AS list_order_id, {rest}");
    push_filters(&mut sql, &mut params, filters);
    // Walking backwards (`prev`) reads in the opposite order, then flips the page.
    let backwards = page.before.is_some();
    let ascending = (page.dir == Dir::Asc) != backwards;
    if let Some(c) = page.after.or(page.before) {
        params.push(Box::new(c.created_at));
        params.push(Box::new(c.id));
        let cmp = if ascending { ">" } else { "<" };
        sql.push_str(&format!(
            " AND ({order_at}, {key}.id) {cmp} (${}, ${})",
            params.len() - 1,
            params.len()
        ));
    }
    let order = if ascending { "ASC" } else { "DESC" };
    params.push(Box::new(page.limit + 1));
    sql.push_str(&format!(
        " ORDER BY {order_at} {order}, {key}.id {order} LIMIT ${}",
        params.len()
    ));
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
    let rows = client.query(&sql, &refs).await?;
    let more = rows.len() as i64 > page.limit;
    let mut rows: Vec<&Row> = rows.iter().take(page.limit as usize).collect();
    if backwards {
        rows.reverse();
    }
    let cursor = |r: &Row| {
        Cursor {
            created_at: r.get("list_order_at"),
            id: r.get("list_order_id"),
        }
        .encode()
    };
    let first = rows.first().map(|r| cursor(r));
    let last = rows.last().map(|r| cursor(r));
    let models = rows.into_iter().map(map).collect();
    let (next, prev) = match (page.after.is_some(), backwards) {
        (_, true) => (last, if more { first } else { None }),
        (true, false) => (if more { last } else { None }, first),
        (false, false) => (if more { last } else { None }, None),
    };
    Ok(Listed { models, next, prev })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            created_at: Utc::now(),
            id: Uuid::now_v7(),
        };
        let decoded = Cursor::decode(&c.encode()).unwrap();
        assert_eq!(decoded.id, c.id);
        assert_eq!(
            decoded.created_at.timestamp_micros(),
            c.created_at.timestamp_micros()
        );
        assert!(Cursor::decode("not a cursor").is_none());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("12.zz")).is_none());
    }
}
