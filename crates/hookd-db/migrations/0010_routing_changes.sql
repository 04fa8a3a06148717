-- Routers reload only what changed, and only on changes that matter to routing (issue 14,
-- item 7). Before, every statement on endpoints (the delivery workers' failure bookkeeping
-- included) bumped the version and every router reloaded every endpoint.
--
-- Each routing-relevant change of an endpoint takes the next routing version into the row's
-- `routing_seq`; a deletion leaves a tombstone with its version. The version is taken by an
-- UPDATE of the one routing_version row, whose lock is held to commit: versions are committed
-- in order, so a router that has read version v has seen every change up to v and can ask for
-- `routing_seq > v` next time.

ALTER TABLE routing_version ADD COLUMN pruned_through bigint NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN routing_seq bigint NOT NULL DEFAULT 0;
CREATE INDEX endpoints_routing_seq ON endpoints (routing_seq);

CREATE TABLE routing_tombstones (
    endpoint_id uuid PRIMARY KEY,
    routing_seq bigint NOT NULL,
    deleted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routing_tombstones_seq ON routing_tombstones (routing_seq);

CREATE FUNCTION next_routing_seq() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
    UPDATE routing_version SET version = version + 1 RETURNING version INTO v;
    PERFORM pg_notify('hookd_routing', '');
    RETURN v;
END $$;

CREATE FUNCTION endpoint_routing_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- `updated_at` is the signing revision the jobs carry (a rotation or new headers).
    IF TG_OP = 'INSERT'
       OR (OLD.app_id, OLD.url, OLD.version, OLD.status, OLD.event_types, OLD.rate_limit,
           OLD.updated_at)
          IS DISTINCT FROM
          (NEW.app_id, NEW.url, NEW.version, NEW.status, NEW.event_types, NEW.rate_limit,
           NEW.updated_at)
    THEN
        NEW.routing_seq := next_routing_seq();
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION endpoint_routing_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
    v := next_routing_seq();
    INSERT INTO routing_tombstones (endpoint_id, routing_seq) VALUES (OLD.id, v)
        ON CONFLICT (endpoint_id) DO UPDATE SET routing_seq = EXCLUDED.routing_seq;
    -- Tombstones are kept a day; a router further behind than the pruned ones reloads all.
    WITH gone AS (
        DELETE FROM routing_tombstones WHERE deleted_at < now() - interval '1 day'
        RETURNING routing_seq
    )
    UPDATE routing_version SET pruned_through = (SELECT max(routing_seq) FROM gone)
     WHERE EXISTS (SELECT 1 FROM gone);
    RETURN NULL;
END $$;

DROP TRIGGER endpoints_changed ON endpoints;
DROP FUNCTION bump_routing_version();
CREATE TRIGGER endpoints_routing_changed BEFORE INSERT OR UPDATE ON endpoints
    FOR EACH ROW EXECUTE FUNCTION endpoint_routing_changed();
CREATE TRIGGER endpoints_routing_deleted AFTER DELETE ON endpoints
    FOR EACH ROW EXECUTE FUNCTION endpoint_routing_deleted();

-- Existing rows: one version for all, so a router's first incremental read finds them.
UPDATE endpoints SET routing_seq = (SELECT version FROM routing_version);
