-- The outbox of accepted but not yet routed inbound requests becomes its own small table, as
-- 0024 did for messages (issue 13).
--
-- Until now routing set `gw_requests.routed_at`, a column in the predicate of the partial index
-- `gw_requests_unrouted`, so that update was never HOT: a new row version with an entry in each
-- of the table's indexes, per request. Now ingest stores an accepted request with its outbox row
-- in one statement, and routing deletes the outbox row in the statement that records the
-- counts. The request's update then touches no indexed column, and the fill factor below leaves
-- room on its page for the new version, so it can be HOT.
--
-- `routed_at` stays and is still set: routing reads it, by id, so that a redelivered envelope
-- is not routed twice, and a request stored by an ingest of an earlier version (which writes no
-- outbox row) is still routed when its envelope arrives. Had that ingest's publish failed, no
-- relay would find the request: scale old ingest replicas down with the upgrade when the broker
-- is not healthy (README, Upgrading), as for 0024.

-- No request is stored or routed between the backfill and the index's drop.
LOCK TABLE gw_requests IN ACCESS EXCLUSIVE MODE;

-- No foreign key (its check would lock the new request on the path its 200 waits for): a
-- statement trigger removes the outbox rows of deleted requests (retention, a source's
-- deletion) instead. `created_at` is the relay's filter; it reads oldest first by id (ids are
-- time-ordered), the primary key.
CREATE TABLE gw_request_outbox (
    id          uuid PRIMARY KEY,
    created_at  timestamptz NOT NULL
);

CREATE FUNCTION gw_request_outbox_forget() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM gw_request_outbox o USING gone WHERE o.id = gone.id;
    RETURN NULL;
END $$;

CREATE TRIGGER gw_request_outbox_forget AFTER DELETE ON gw_requests
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION gw_request_outbox_forget();

INSERT INTO gw_request_outbox (id, created_at)
SELECT id, created_at FROM gw_requests WHERE routed_at IS NULL AND rejection_cause IS NULL;

DROP INDEX gw_requests_unrouted;

-- Room on each new page for the routing's update of the request's counts (HOT needs the new
-- version on the same page). Rows already stored keep their pages as they are.
ALTER TABLE gw_requests SET (fillfactor = 85);
