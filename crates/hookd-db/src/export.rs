//! Export (issue 17): an app's rows as NDJSON lines, one keyset page at a time. PostgreSQL
//! renders each line, so the caller holds at most one page of text whatever the app's size.

use crate::DbError;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// What an export can hold, in the order it is written (what an import needs first, first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    EventType,
    Subscription,
    Endpoint,
    Message,
    Delivery,
}

impl ExportKind {
    pub const ALL: [ExportKind; 5] = [
        ExportKind::EventType,
        ExportKind::Subscription,
        ExportKind::Endpoint,
        ExportKind::Message,
        ExportKind::Delivery,
    ];

    /// The line's `kind`.
    pub fn name(self) -> &'static str {
        match self {
            ExportKind::EventType => "event_type",
            ExportKind::Subscription => "subscription",
            ExportKind::Endpoint => "endpoint",
            ExportKind::Message => "message",
            ExportKind::Delivery => "delivery",
        }
    }

    /// Its name in `?include=` (the plural).
    pub fn plural(self) -> &'static str {
        match self {
            ExportKind::EventType => "event_types",
            ExportKind::Subscription => "subscriptions",
            ExportKind::Endpoint => "endpoints",
            ExportKind::Message => "messages",
            ExportKind::Delivery => "deliveries",
        }
    }

    /// Whether `since`/`until` select its rows.
    pub fn dated(self) -> bool {
        matches!(self, ExportKind::Message | ExportKind::Delivery)
    }

    /// `$1` the app, `$2`/`$3` the keyset position, `$4`/`$5` the date range (NULL: open),
    /// `$6` the page size. Each walks an `(app_id, created_at, id)`
    /// index; the JSON is built here so no row is ever decoded into a struct.
    fn query(self) -> String {
        let (table, alias, object) = match self {
            ExportKind::EventType => (
                "event_types",
                "e",
                "'name', e.name, 'description', e.description, 'schema', e.schema,
                 'schemas', e.schemas, 'example', e.example, 'examples', e.examples,
                 'updated_at', e.updated_at",
            ),
            ExportKind::Subscription => (
                "subscriptions",
                "s",
                "'name', s.name, 'metadata', s.metadata, 'updated_at', s.updated_at",
            ),
            // The secret never leaves: an import makes a new one unless the line is given one.
            ExportKind::Endpoint => (
                "endpoints",
                "n",
                "'subscription_id', n.subscription_id,
                 'subscription', (SELECT name FROM subscriptions WHERE id = n.subscription_id),
                 'url', n.url, 'version', n.version, 'status', n.status,
                 'event_types', n.event_types, 'description', n.description,
                 'headers', n.headers, 'rate_limit', n.rate_limit, 'filter', n.filter,
                 'ordering', n.ordering, 'ordering_key', n.ordering_key,
                 'disabled_reason', n.disabled_reason, 'updated_at', n.updated_at",
            ),
            ExportKind::Message => (
                "messages",
                "m",
                "'event_type', m.event_type, 'version', m.version, 'event_id', m.event_id,
                 'data', m.data, 'endpoint_id', m.endpoint_id, 'expunged_at', m.expunged_at",
            ),
            ExportKind::Delivery => (
                "deliveries",
                "d",
                "'message_id', d.message_id, 'endpoint_id', d.endpoint_id,
                 'event_type', d.event_type, 'status', d.status,
                 'attempt_count', d.attempt_count, 'next_attempt_at', d.next_attempt_at,
                 'updated_at', d.updated_at",
            ),
        };
        let kind = self.name();
        // The page's rows are picked first and rendered after, so whatever plan picks them
        // (an index range, or a scan and top-N sort while statistics are stale), only the
        // page's own rows are ever turned into JSON.
        format!(
            "SELECT jsonb_build_object('kind', '{kind}', 'id', {alias}.id,
                    'created_at', {alias}.created_at, {object})::text,
                {alias}.created_at, {alias}.id
             FROM (SELECT id FROM {table}
                   WHERE app_id = $1 AND (created_at, id) > ($2, $3)
                     AND ($4::timestamptz IS NULL OR created_at >= $4)
                     AND ($5::timestamptz IS NULL OR created_at < $5)
                   ORDER BY created_at, id LIMIT $6) page
             JOIN {table} {alias} ON {alias}.id = page.id
             ORDER BY {alias}.created_at, {alias}.id"
        )
    }
}

/// Where a kind's export goes on from.
pub type Position = (DateTime<Utc>, Uuid);

/// The first position: before every row.
pub fn start() -> Position {
    (DateTime::<Utc>::UNIX_EPOCH, Uuid::nil())
}

/// One page of lines (each without its newline) after `after`, and the position of its last
/// row; fewer than `limit` lines means the kind is done.
pub async fn page(
    client: &impl GenericClient,
    kind: ExportKind,
    app_id: Uuid,
    after: Position,
    range: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    limit: i64,
) -> Result<(Vec<String>, Option<Position>), DbError> {
    // The date range selects messages and deliveries only.
    let range = if kind.dated() { range } else { (None, None) };
    let rows = client
        .query(
            &kind.query(),
            &[&app_id, &after.0, &after.1, &range.0, &range.1, &limit],
        )
        .await?;
    let last = rows.last().map(|r| (r.get(1), r.get(2)));
    Ok((rows.iter().map(|r| r.get(0)).collect(), last))
}
