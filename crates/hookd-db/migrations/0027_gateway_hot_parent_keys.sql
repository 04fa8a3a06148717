-- The gateway's two remaining keys on hot parents become statement triggers, as 0025 did for
-- messages and deliveries (issue 13): gw_requests.source_id -> gw_sources and
-- gw_events.connection_id -> gw_connections. Every request of a source locked the source's row
-- (KEY SHARE) for the key's check, and every event of a connection its connection's row;
-- concurrent batches shared those locks through MultiXacts.
--
-- As in 0025:
-- - Refusing a child of a missing parent: the request insert reads the sources (a batch with a
--   request of a missing source stores nothing and is retried one by one, so only that request
--   gets its 404); the routing's event insert reads the connection and skips one that is gone.
-- - ON DELETE CASCADE: a statement trigger deletes the children of deleted parents in the
--   deleting statement's transaction. A source's deletion still reaches its connections (their
--   key stays) and so their events; requests take their events and ignored events with them.
-- - A child inserted at the moment its parent is deleted escapes the trigger; the deletion
--   leaves a tombstone and the router's retention pass deletes such late children later.
-- Neither child table has an index on the parent column. The cascade scanned the table before
-- (a key without an index on the referencing side), and the trigger and the sweep do no worse;
-- an index would cost every insert on the hot path to speed up a rare deletion.

ALTER TABLE gw_requests DROP CONSTRAINT gw_requests_source_id_fkey;
ALTER TABLE gw_events DROP CONSTRAINT gw_events_connection_id_fkey;

ALTER TABLE deleted_parents DROP CONSTRAINT deleted_parents_kind_check;
ALTER TABLE deleted_parents ADD CONSTRAINT deleted_parents_kind_check
    CHECK (kind IN ('app', 'endpoint', 'source', 'connection'));

CREATE FUNCTION gw_sources_cascade() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM gw_requests r USING gone WHERE r.source_id = gone.id;
    INSERT INTO deleted_parents (kind, id) SELECT 'source', id FROM gone ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER gw_sources_cascade AFTER DELETE ON gw_sources
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION gw_sources_cascade();

CREATE FUNCTION gw_connections_cascade() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM gw_events e USING gone WHERE e.connection_id = gone.id;
    INSERT INTO deleted_parents (kind, id) SELECT 'connection', id FROM gone
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER gw_connections_cascade AFTER DELETE ON gw_connections
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION gw_connections_cascade();
