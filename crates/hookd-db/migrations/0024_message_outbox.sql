-- The outbox of stored but not yet routed messages becomes its own small table (issue 13).
--
-- Until now a message was stored with `routed_at = NULL` and the fan-out set it. `routed_at`
-- is in the predicate of two partial indexes, so that update was never HOT: a whole new row
-- version, an entry in each of the table's indexes and a dead tuple for every message. Now
-- ingest inserts the message and its outbox row in one statement, and the fan-out deletes the
-- outbox row in the statement that records the deliveries: the message row is written once.
--
-- Rolling upgrade (the chart runs this before it replaces any replica): `routed_at` stays, no
-- longer read or indexed, so an old router's fan-out still works (its update is now HOT); a
-- later migration drops it. An old ingest's message gets no outbox row: its bus notification
-- routes it as usual, but if that publish failed, no relay would find it. Scale ingest's old
-- replicas down with the upgrade when the broker is not healthy (README, Upgrading).

-- No message is stored or routed between the backfill and the indexes' drop.
LOCK TABLE messages IN ACCESS EXCLUSIVE MODE;

-- `app_id` and `created_at` are copies of the message's, for the readers: a fifo lane (an
-- older message of its app not routed yet holds it back), the relay (those older than
-- `router.relay_after`, by id: ids are time-ordered, so no index of their own). No foreign
-- key: its check on every insert (a lookup and a row lock of the new message) doubled the
-- insert's time, on the path a 202 waits for. A statement trigger on messages removes the
-- outbox rows of deleted messages instead (retention, an app's deletion), so none outlives its
-- message and holds back a lane.
CREATE TABLE message_outbox (
    id          uuid PRIMARY KEY,
    app_id      uuid NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX message_outbox_app ON message_outbox (app_id, id);

CREATE FUNCTION message_outbox_forget() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM message_outbox o USING gone WHERE o.id = gone.id;
    RETURN NULL;
END $$;

CREATE TRIGGER message_outbox_forget AFTER DELETE ON messages
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION message_outbox_forget();

INSERT INTO message_outbox (id, app_id, created_at)
SELECT id, app_id, created_at FROM messages WHERE routed_at IS NULL;

DROP INDEX messages_unrouted;
DROP INDEX messages_unrouted_app;
COMMENT ON COLUMN messages.routed_at IS 'unused since 0024 (message_outbox); kept for routers of earlier versions during a rolling upgrade';

-- Operational events are stored with their outbox row too (0023's function otherwise).
CREATE OR REPLACE FUNCTION operational_emit(p_app uuid, p_type text, p_data jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    stored uuid;
BEGIN
    WITH m AS (
        INSERT INTO messages (id, app_id, event_type, version, data, created_at)
        SELECT hookd_uuid_v7(), op.id, p_type, 'operational', p_data, now()
        FROM apps a
        JOIN apps op ON op.organization_id = a.organization_id AND op.operational
        WHERE a.id = p_app AND NOT a.operational
          AND EXISTS (SELECT 1 FROM endpoints n
                      WHERE n.app_id = op.id AND n.status = 'enabled'
                        AND p_type = ANY (n.event_types))
        RETURNING id, app_id, created_at
    ), outbox AS (
        INSERT INTO message_outbox (id, app_id, created_at)
        SELECT id, app_id, created_at FROM m
    )
    SELECT id INTO stored FROM m;
    IF stored IS NOT NULL THEN
        PERFORM pg_notify('hookd_operational', stored::text);
    END IF;
END $$;
