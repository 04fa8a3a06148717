//! Keyset pagination over `(created_at, id)` with filters, shared by every list route.

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

/// A position in a list: the `(created_at, id)` of a row. Opaque to clients.
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Op {
    fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Gt => ">",
            Op::Gte => ">=",
            Op::Lt => "<",
            Op::Lte => "<=",
        }
    }
}

#[derive(Debug, Clone)]
pub enum FilterValue {
    Text(String),
    Uuid(Uuid),
    Time(DateTime<Utc>),
    Int(i32),
}

/// `column op value`; `column` comes from a fixed list in the caller, never from the client.
#[derive(Debug, Clone)]
pub struct Filter {
    pub column: &'static str,
    pub op: Op,
    pub value: FilterValue,
}

/// A listed record's position.
pub trait Keyed {
    fn cursor(&self) -> Cursor;
}

macro_rules! keyed {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn cursor(&self) -> Cursor {
                Cursor { created_at: self.created_at, id: self.id }
            }
        }
    )*};
}

keyed!(
    hookd_domain::Organization,
    hookd_domain::ApiKey,
    hookd_domain::App,
    hookd_domain::EventType,
    hookd_domain::Subscription,
    hookd_domain::Endpoint,
    hookd_domain::Message,
    hookd_domain::Delivery,
    hookd_domain::Attempt,
    hookd_domain::Task
);

#[derive(Debug)]
pub struct Listed<T> {
    pub models: Vec<T>,
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// Runs `select` (which ends in a `WHERE` clause using `$1..$n` for `params`) with the filters
/// and the page. `key` is the table alias whose `created_at` and `id` order the list.
pub(crate) async fn list<T: Keyed>(
    client: &impl GenericClient,
    select: &str,
    key: &str,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
    filters: &[Filter],
    page: &Page,
    map: impl Fn(&Row) -> T,
) -> Result<Listed<T>, DbError> {
    let mut params = params;
    let mut sql = String::from(select);
    for f in filters {
        params.push(match &f.value {
            FilterValue::Text(v) => Box::new(v.clone()),
            FilterValue::Uuid(v) => Box::new(*v),
            FilterValue::Time(v) => Box::new(*v),
            FilterValue::Int(v) => Box::new(*v),
        });
        sql.push_str(&format!(
            " AND {} {} ${}",
            f.column,
            f.op.sql(),
            params.len()
        ));
    }
    // Walking backwards (`prev`) reads in the opposite order, then flips the page.
    let backwards = page.before.is_some();
    let ascending = (page.dir == Dir::Asc) != backwards;
    if let Some(c) = page.after.or(page.before) {
        params.push(Box::new(c.created_at));
        params.push(Box::new(c.id));
        let cmp = if ascending { ">" } else { "<" };
        sql.push_str(&format!(
            " AND ({key}.created_at, {key}.id) {cmp} (${}, ${})",
            params.len() - 1,
            params.len()
        ));
    }
    let order = if ascending { "ASC" } else { "DESC" };
    params.push(Box::new(page.limit + 1));
    sql.push_str(&format!(
        " ORDER BY {key}.created_at {order}, {key}.id {order} LIMIT ${}",
        params.len()
    ));
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
    let rows = client.query(&sql, &refs).await?;
    let more = rows.len() as i64 > page.limit;
    let mut models: Vec<T> = rows.iter().take(page.limit as usize).map(map).collect();
    if backwards {
        models.reverse();
    }
    let first = models.first().map(|m| m.cursor().encode());
    let last = models.last().map(|m| m.cursor().encode());
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
