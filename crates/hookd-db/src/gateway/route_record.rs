//! The router's transaction for a batch of inbound requests, in two round trips: BEGIN with the
//! lock of the requests, then (once the router has decided each request's outcomes) the
//! signing revisions, the writes and COMMIT, those with kept plans (`kept_plan`). Each request
//! is sent when its future is first polled, and the joins poll them in order, so they reach
//! the server in this order without waiting for each other's answers. A failed write aborts
//! the transaction and COMMIT rolls it back.

use super::routing::{inbound_from_row, Inbound, Outcome, INBOUND_COLUMNS};
use super::routing_rows::{EventRows, IgnoredRows, RequestRows};
use crate::kept_plan::KEPT_SETTINGS;
use crate::{Client, DbError};
use futures_util::future::{join, join3};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use uuid::Uuid;

/// Begins the routing transaction and locks the requests to route (in id order, so concurrent
/// routers cannot deadlock); answers them with the gateway routing version (a router whose
/// connections view is older reloads it first). A request gone, rejected or routed already (a
/// redelivered envelope) is not returned. On an error the transaction is rolled back; after
/// a success the caller ends it (`record_and_commit` or `rollback`).
pub async fn begin_and_lock(
    client: &Client,
    request_ids: &[Uuid],
) -> Result<(Vec<Inbound>, i64), DbError> {
    let lock = client.prepare_cached(&LOCK_UNROUTED).await?;
    let c: &tokio_postgres::Client = client;
    let (begin, rows) = join(c.batch_execute("BEGIN"), c.query(&lock, &[&request_ids])).await;
    let rows = match begin.and(rows) {
        Ok(rows) => rows,
        Err(e) => {
            rollback(client).await;
            return Err(e.into());
        }
    };
    // No rows: nothing to route, so no version to be at.
    let version = rows.first().map_or(-1, |r| r.get("routing_version"));
    Ok((rows.iter().map(inbound_from_row).collect(), version))
}

/// Ends the transaction without writing, best effort: a connection whose ROLLBACK fails is
/// broken, and the pool drops it.
pub async fn rollback(client: &Client) {
    let _ = client.batch_execute("ROLLBACK").await;
}

/// What the routing transaction wrote: the events created now (an event of the same request
/// and connection made before is kept, not doubled), and the organizations' signing secret
/// revisions (absent: none yet, revision 0), which jobs carry so a worker's cached secret
/// older than a rotation reloads.
pub struct Recorded {
    pub created: HashSet<Uuid>,
    pub revisions: HashMap<Uuid, i64>,
}

/// Records the outcomes of each request, marks them routed and commits the transaction that
/// `begin_and_lock` began, in one round trip.
pub async fn record_and_commit(
    client: &Client,
    routed: &[(&Inbound, &[Outcome])],
    organization_ids: &[Uuid],
) -> Result<Recorded, DbError> {
    let (events, ignored, requests) = rows(routed);
    let prepared = async {
        Ok::<_, tokio_postgres::Error>((
            client.prepare_cached(REVISIONS).await?,
            client.prepare_cached(INSERT_EVENTS).await?,
            client.prepare_cached(INSERT_IGNORED).await?,
            client.prepare_cached(MARK_ROUTED).await?,
        ))
    }
    .await;
    let (revisions, insert_events, insert_ignored, mark) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            // The transaction is open: end it before the connection goes back.
            rollback(client).await;
            return Err(e.into());
        }
    };
    let c: &tokio_postgres::Client = client;
    let ((settings, revisions, created), (ignored, marked, commit)) = join(
        join3(
            c.batch_execute(KEPT_SETTINGS),
            c.query(&revisions, &[&organization_ids]),
            c.query(&insert_events, &events.params()),
        ),
        join3(
            c.execute(&insert_ignored, &ignored.params()),
            c.execute(&mark, &requests.params()),
            c.batch_execute("COMMIT"),
        ),
    )
    .await;
    settings?;
    let revisions = revisions?;
    let created = created?;
    ignored?;
    marked?;
    commit?;
    Ok(Recorded {
        created: created.iter().map(|r| r.get(0)).collect(),
        revisions: revisions.iter().map(|r| (r.get(0), r.get(1))).collect(),
    })
}

/// The rows a batch writes.
fn rows(routed: &[(&Inbound, &[Outcome])]) -> (EventRows, IgnoredRows, RequestRows) {
    let mut events = EventRows::default();
    let mut ignored = IgnoredRows::default();
    let mut requests = RequestRows::default();
    for (request, outcomes) in routed {
        // A source without connections: Hookdeck's NO_CONNECTION is a cause of the request
        // (still answered 200), not an ignored event of a connection.
        let mut cause_of_request: Option<&'static str> = None;
        let (mut n_events, mut n_ignored) = (0i32, 0i32);
        for outcome in outcomes.iter() {
            match outcome {
                Outcome::Ignored {
                    connection_id: None,
                    cause,
                    ..
                } => cause_of_request = Some(cause),
                Outcome::Ignored {
                    connection_id: Some(connection_id),
                    cause,
                    meta,
                } => {
                    ignored.push(request.id, *connection_id, cause, meta.clone());
                    n_ignored += 1;
                }
                Outcome::Event { .. } => {
                    events.push(request, outcome);
                    n_events += 1;
                }
            }
        }
        requests.push(request.id, n_events, n_ignored, cause_of_request);
    }
    (events, ignored, requests)
}

static LOCK_UNROUTED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {INBOUND_COLUMNS},
            (SELECT version FROM gw_routing_version) AS routing_version
         FROM gw_requests r JOIN gw_sources s ON s.id = r.source_id
         WHERE r.id = ANY($1) AND r.routed_at IS NULL AND r.rejection_cause IS NULL
         ORDER BY r.id
         FOR UPDATE OF r"
    )
});

pub(crate) const REVISIONS: &str =
    "SELECT organization_id, revision FROM gw_signing_secrets WHERE organization_id = ANY($1)";

pub(crate) const INSERT_EVENTS: &str =
    "INSERT INTO gw_events (id, organization_id, connection_id, source_id,
        destination_id, request_id, status, next_attempt_at, queued)
     SELECT id, organization_id, connection_id, source_id, destination_id,
        request_id, status, next_attempt_at, status = 'QUEUED'
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[],
        $6::uuid[], $7::text[], $8::timestamptz[])
        AS e(id, organization_id, connection_id, source_id, destination_id,
            request_id, status, next_attempt_at)
     -- The connection's key is checked by this read (0027): one deleted since the
     -- view was read gets no event.
     WHERE EXISTS (SELECT 1 FROM gw_connections c WHERE c.id = e.connection_id)
     ON CONFLICT (request_id, connection_id) DO NOTHING
     RETURNING id";

pub(crate) const INSERT_IGNORED: &str =
    "INSERT INTO gw_ignored_events (id, request_id, connection_id, cause, meta)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::jsonb[])";

pub(crate) const MARK_ROUTED: &str = "WITH routed AS (
        -- Out of the outbox (0028): the update below touches no indexed column.
        DELETE FROM gw_request_outbox WHERE id = ANY($1)
     )
     UPDATE gw_requests r SET routed_at = now(), events_count = u.events,
        ignored_count = u.ignored, rejection_cause = coalesce(u.cause, r.rejection_cause),
        updated_at = now()
     FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[])
        AS u(id, events, ignored, cause)
     WHERE r.id = u.id";
