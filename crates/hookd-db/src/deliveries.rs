use crate::lanes::Lane;
use crate::routing::Route;
use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use hookd_domain::{Delivery, DeliveryStatus, Message};
use tokio_postgres::Row;
use uuid::Uuid;

pub use crate::attempt_record::{record_attempts, AttemptRecord, Settled};
pub use crate::fan_out::{fan_out_many, FanOut, FannedOut};

pub(crate) const COLUMNS: &str = "d.id, d.message_id, d.endpoint_id, d.event_type, d.status, \
    d.attempt_count, d.next_attempt_at, d.created_at, d.updated_at";

pub(crate) fn from_row(r: &Row) -> Delivery {
    let status: &str = r.get("status");
    Delivery {
        id: r.get("id"),
        message_id: r.get("message_id"),
        endpoint_id: r.get("endpoint_id"),
        event_type: r.get("event_type"),
        status: DeliveryStatus::parse(status).unwrap_or(DeliveryStatus::Pending),
        attempt_count: r.get("attempt_count"),
        next_attempt_at: r.get("next_attempt_at"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// A delivery that is due, with what its job needs.
#[derive(Debug, Clone)]
pub struct Due {
    pub delivery_id: Uuid,
    pub attempt: i32,
    pub message: Message,
    pub task_id: Option<Uuid>,
    pub endpoint: Route,
    /// A retry someone asked for: it goes past an open circuit, as its probe.
    pub explicit: bool,
    /// Its fifo lane, if its endpoint is ordered.
    pub lane: Option<Lane>,
    /// The W3C `traceparent` its fan-out ran in: the job continues that trace.
    pub traceparent: Option<String>,
}

/// What a claim returns of the deliveries in the CTE `claimed` (id, message_id, endpoint_id,
/// attempt_count, explicit_retry, lane, traceparent): each with its message and endpoint, for `due_from_row`.
pub(crate) const DUE_SELECT: &str = "SELECT c.id AS delivery_id, c.attempt_count, c.explicit_retry,
        c.lane, c.traceparent,
        m.id, m.event_type, m.version, m.event_id, m.data, m.created_at, m.expunged_at,
        m.task_id,
        n.id AS endpoint_id, n.app_id, n.url, n.version AS endpoint_version, n.status,
        n.event_types, n.rate_limit, n.updated_at AS endpoint_updated_at
     FROM claimed c
     JOIN messages m ON m.id = c.message_id
     JOIN endpoints n ON n.id = c.endpoint_id";

pub(crate) fn due_from_row(r: &Row) -> Due {
    Due {
        delivery_id: r.get("delivery_id"),
        attempt: r.get::<_, i32>("attempt_count") + 1,
        message: crate::messages::from_row(r),
        task_id: r.get("task_id"),
        explicit: r.get("explicit_retry"),
        lane: Lane::from_row(r),
        traceparent: r.get("traceparent"),
        endpoint: Route {
            id: r.get("endpoint_id"),
            app_id: r.get("app_id"),
            url: r.get("url"),
            version: r.get("endpoint_version"),
            enabled: r.get::<_, &str>("status") == "enabled",
            event_types: r.get("event_types"),
            rate_limit: r.get("rate_limit"),
            revision: r
                .get::<_, DateTime<Utc>>("endpoint_updated_at")
                .timestamp_micros(),
            // The delivery exists: its filter and lane were applied when it was routed.
            filter: None,
            fifo: None,
        },
    }
}

/// Claims up to `limit` due deliveries (retries, and jobs whose lease ran out) and leases
/// them until `lease_until`. `SKIP LOCKED` lets several schedulers share the work without
/// claiming one row twice. A waiting fifo delivery is never due: only its lane promotes it.
pub async fn claim_due(
    client: &impl GenericClient,
    limit: i64,
    lease_until: DateTime<Utc>,
) -> Result<Vec<Due>, DbError> {
    let rows = client
        .query(
            &client
                .prepare_cached(&format!(
                    "WITH due AS (
                    SELECT id FROM deliveries
                    WHERE status = 'pending' AND next_attempt_at <= now() AND NOT waiting
                    ORDER BY next_attempt_at LIMIT $1
                    FOR UPDATE SKIP LOCKED
                 ), claimed AS (
                    UPDATE deliveries d SET next_attempt_at = $2, queued = true, updated_at = now()
                    FROM due WHERE d.id = due.id
                    RETURNING d.id, d.message_id, d.endpoint_id, d.attempt_count, d.explicit_retry,
                        d.lane, d.traceparent
                 )
                 {DUE_SELECT}"
                ))
                .await?,
            &[&limit, &lease_until],
        )
        .await?;
    Ok(rows.iter().map(due_from_row).collect())
}

/// Ends deliveries that can no longer be tried (their endpoint was disabled). Returns the fifo
/// lanes whose head this settled, for the caller to promote the next.
pub async fn fail(client: &impl GenericClient, ids: &[Uuid]) -> Result<Vec<Lane>, DbError> {
    let rows = client
        .query(
            &client.prepare_cached("UPDATE deliveries SET status = 'failed', queued = false, next_attempt_at = NULL,
                updated_at = now() WHERE id = ANY($1) AND status = 'pending'
             RETURNING endpoint_id, lane").await?,
            &[&ids],
        )
        .await?;
    Ok(rows.iter().filter_map(Lane::from_row).collect())
}

/// A delivery of one of the organization's apps.
pub async fn get_in_org(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Delivery, DbError> {
    client
        .query_opt(
            &client
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM deliveries d JOIN apps a ON a.id = d.app_id
                 WHERE d.id = $1 AND a.organization_id = $2"
                ))
                .await?,
            &[&id, &organization_id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn list_by_message(
    client: &impl GenericClient,
    message_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Delivery>, DbError> {
    list_where(client, "d.message_id = $1", message_id, filters, page).await
}

pub async fn list_by_endpoint(
    client: &impl GenericClient,
    endpoint_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Delivery>, DbError> {
    list_where(client, "d.endpoint_id = $1", endpoint_id, filters, page).await
}

async fn list_where(
    client: &impl GenericClient,
    condition: &str,
    id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Delivery>, DbError> {
    crate::list::list(
        client,
        &format!("SELECT {COLUMNS} FROM deliveries d WHERE {condition}"),
        "d",
        params![id],
        filters,
        page,
        from_row,
    )
    .await
}

/// A delivery whose message's payload was expunged: it can never be sent again.
const EXPUNGED: &str =
    "EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id AND m.expunged_at IS NOT NULL)";

/// Makes a delivery due now unless a job for it is already on the bus. Returns the delivery as
/// the retry left it, or `None` when it was in flight (nothing changed).
pub async fn retry(client: &impl GenericClient, id: Uuid) -> Result<Option<Delivery>, DbError> {
    // The row as this update left it: read again afterwards, a fast try could already have
    // moved it on, and the answer would not be the retry's.
    Ok(client
        .query_opt(
            &client
                .prepare_cached(&format!(
                    "UPDATE deliveries d SET status = 'pending', next_attempt_at = now(),
                    explicit_retry = true, updated_at = now()
                 WHERE d.id = $1 AND NOT d.queued AND NOT d.waiting AND NOT {EXPUNGED}
                 RETURNING {COLUMNS}"
                ))
                .await?,
            &[&id],
        )
        .await?
        .map(|r| from_row(&r)))
}

/// What a bulk retry selects among an app's deliveries.
#[derive(Debug, Default, Clone)]
pub struct RetryFilter {
    pub status: Option<DeliveryStatus>,
    pub endpoint_id: Option<Uuid>,
    pub event_type: Option<String>,
    pub created_gte: Option<DateTime<Utc>>,
    pub created_lte: Option<DateTime<Utc>>,
}

/// Makes every matching delivery of the app due now, skipping those in flight. Returns how
/// many it scheduled.
pub async fn retry_matching(
    client: &impl GenericClient,
    app_id: Uuid,
    f: &RetryFilter,
) -> Result<u64, DbError> {
    Ok(client
        .execute(
            &client
                .prepare_cached(&format!(
                    "UPDATE deliveries d SET status = 'pending', next_attempt_at = now(),
                explicit_retry = true, updated_at = now()
             WHERE app_id = $1 AND NOT queued AND NOT waiting AND NOT {EXPUNGED}
               AND ($2::text IS NULL OR status = $2)
               AND ($3::uuid IS NULL OR endpoint_id = $3)
               AND ($4::text IS NULL OR event_type = $4)
               AND ($5::timestamptz IS NULL OR created_at >= $5)
               AND ($6::timestamptz IS NULL OR created_at <= $6)"
                ))
                .await?,
            &[
                &app_id,
                &f.status.map(|s| s.as_str()),
                &f.endpoint_id,
                &f.event_type,
                &f.created_gte,
                &f.created_lte,
            ],
        )
        .await?)
}

/// One job put off: its delivery, the attempt it was to make and when it is due again.
#[derive(Debug, Clone)]
pub struct Postponement {
    pub id: Uuid,
    pub attempt: i32,
    pub at: DateTime<Utc>,
}

/// Puts jobs off without counting a try (their endpoint was at its cap, its circuit open or
/// over its rate limit): each is due again at its `at` and no longer queued, so the retry
/// scheduler sends it then. One statement for the lot.
pub async fn postpone(client: &impl GenericClient, jobs: &[Postponement]) -> Result<(), DbError> {
    let ids: Vec<Uuid> = jobs.iter().map(|j| j.id).collect();
    let attempts: Vec<i32> = jobs.iter().map(|j| j.attempt).collect();
    let ats: Vec<DateTime<Utc>> = jobs.iter().map(|j| j.at).collect();
    client
        .execute(
            &client
                .prepare_cached(
                    "UPDATE deliveries d SET next_attempt_at = p.at, queued = false, updated_at = now()
             FROM unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS p(id, attempt, at)
             WHERE d.id = p.id AND d.status = 'pending' AND d.attempt_count < p.attempt",
                )
                .await?,
            &[&ids, &attempts, &ats],
        )
        .await?;
    Ok(())
}
