use super::table::Table;
use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

/// A request received at a source URL (its raw body aside).
#[derive(Debug, Clone)]
pub struct Request {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub source_id: Uuid,
    pub verified: bool,
    pub rejection_cause: Option<String>,
    pub method: String,
    /// `{path, query, parsed_query, headers, body}`.
    pub data: Value,
    pub events_count: i32,
    pub ignored_count: i32,
    pub ingested_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "r.id, r.organization_id, r.source_id, r.verified, r.rejection_cause, \
    r.method, r.data, r.events_count, r.ignored_count, r.ingested_at, r.created_at, r.updated_at";

const TABLE: Table<Request> = Table {
    name: "gw_requests",
    alias: "r",
    columns: COLUMNS,
    from_row,
};

fn from_row(r: &Row) -> Request {
    Request {
        id: r.get("id"),
        organization_id: r.get("organization_id"),
        source_id: r.get("source_id"),
        verified: r.get("verified"),
        rejection_cause: r.get("rejection_cause"),
        method: r.get("method"),
        data: r.get("data"),
        events_count: r.get("events_count"),
        ignored_count: r.get("ignored_count"),
        ingested_at: r.get("ingested_at"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// A request to store, with its raw body.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub request: Request,
    pub body: Vec<u8>,
    /// The W3C `traceparent` of the inbound step: routing, retries and the relay continue it.
    pub traceparent: Option<String>,
}

/// `insert_many`'s statement, with a kept plan (`kept_plan`): its only read is the sources'
/// primary key.
pub(crate) const INSERT_MANY: &str = "WITH r AS (
                INSERT INTO gw_requests (id, organization_id, source_id, verified,
                    rejection_cause, method, data, body, ingested_at, created_at, updated_at,
                    traceparent)
                SELECT id, organization_id, source_id, verified, rejection_cause, method, data,
                    body, at, at, at, traceparent
                FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bool[], $5::text[],
                    $6::text[], $7::jsonb[], $8::bytea[], $9::timestamptz[], $10::text[])
                    AS r(id, organization_id, source_id, verified, rejection_cause, method, data,
                        body, at, traceparent)
                -- The sources' keys are checked by this read, not a foreign key (0027): a batch
                -- with a request of a missing source stores nothing, and its caller then stores
                -- the requests one by one.
                WHERE NOT EXISTS (
                    SELECT 1 FROM unnest($3::uuid[]) AS x(source_id)
                    WHERE NOT EXISTS (SELECT 1 FROM gw_sources s WHERE s.id = x.source_id))
                RETURNING id, created_at, rejection_cause
             ), outbox AS (
                -- In the statement that stores them (0028), so an accepted request is never
                -- missing from the relay's outbox.
                INSERT INTO gw_request_outbox (id, created_at)
                SELECT id, created_at FROM r WHERE rejection_cause IS NULL
             )
             SELECT count(*) FROM r";

/// Stores requests and their raw bodies in one statement; committed when this returns (ingest
/// commits synchronously), so a 200 after it survives a crash. One answer per request.
pub async fn insert_many(client: &Client, batch: &[NewRequest]) -> Result<Vec<()>, DbError> {
    let col = |f: fn(&Request) -> Uuid| batch.iter().map(|n| f(&n.request)).collect::<Vec<_>>();
    let (ids, orgs, sources) = (
        col(|r| r.id),
        col(|r| r.organization_id),
        col(|r| r.source_id),
    );
    let verified: Vec<bool> = batch.iter().map(|n| n.request.verified).collect();
    let causes: Vec<Option<&str>> = batch
        .iter()
        .map(|n| n.request.rejection_cause.as_deref())
        .collect();
    let methods: Vec<&str> = batch.iter().map(|n| n.request.method.as_str()).collect();
    let data: Vec<&Value> = batch.iter().map(|n| &n.request.data).collect();
    let bodies: Vec<&[u8]> = batch.iter().map(|n| n.body.as_slice()).collect();
    let at: Vec<DateTime<Utc>> = batch.iter().map(|n| n.request.ingested_at).collect();
    let traces: Vec<Option<&str>> = batch.iter().map(|n| n.traceparent.as_deref()).collect();
    let statement = client.prepare_cached(INSERT_MANY).await?;
    let rows = crate::kept_plan::query(
        client,
        &statement,
        &[
            &ids, &orgs, &sources, &verified, &causes, &methods, &data, &bodies, &at, &traces,
        ],
    )
    .await?;
    let stored: i64 = rows.first().map_or(0, |r| r.get(0));
    if stored == 0 && !batch.is_empty() {
        return Err(DbError::NotFound);
    }
    Ok(vec![(); batch.len()])
}

pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Request, DbError> {
    TABLE.get(client, organization_id, id).await
}

/// The raw body, byte for byte.
pub async fn raw_body(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Vec<u8>, DbError> {
    client
        .query_opt(
            &client
                .prepare_cached(
                    "SELECT body FROM gw_requests WHERE id = $1 AND organization_id = $2",
                )
                .await?,
            &[&id, &organization_id],
        )
        .await?
        .map(|r| r.get(0))
        .ok_or(DbError::NotFound)
}

pub async fn list(
    client: &impl GenericClient,
    organization_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Request>, DbError> {
    TABLE
        .list(client, organization_id, "true", params![], filters, page)
        .await
}

/// The `data` of these requests (of the organization), by id.
pub async fn data_of(
    client: &impl GenericClient,
    organization_id: Uuid,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Value>, DbError> {
    Ok(client
        .query(
            &client
                .prepare_cached(
                    "SELECT id, data FROM gw_requests WHERE organization_id = $1 AND id = ANY($2)",
                )
                .await?,
            &[&organization_id, &ids],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Counts `n` more events of the request (a retry added them).
pub async fn add_events(client: &impl GenericClient, id: Uuid, n: i32) -> Result<(), DbError> {
    client
        .execute(
            &client
                .prepare_cached(
                    "UPDATE gw_requests SET events_count = events_count + $2, updated_at = now()
             WHERE id = $1",
                )
                .await?,
            &[&id, &n],
        )
        .await?;
    Ok(())
}
