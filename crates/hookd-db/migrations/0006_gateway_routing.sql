-- Bumped by every change to gateway sources, destinations and connections, so routers know
-- when to reload their in-memory connections view; the NOTIFY wakes them at once, and a router
-- that reads a newer version while routing reloads before it decides.
CREATE TABLE gw_routing_version (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL
);
INSERT INTO gw_routing_version (version) VALUES (0);

CREATE FUNCTION bump_gw_routing_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE gw_routing_version SET version = version + 1;
    PERFORM pg_notify('hookd_gateway', '');
    RETURN NULL;
END $$;

CREATE TRIGGER gw_connections_changed AFTER INSERT OR UPDATE OR DELETE ON gw_connections
    FOR EACH STATEMENT EXECUTE FUNCTION bump_gw_routing_version();
CREATE TRIGGER gw_destinations_changed AFTER INSERT OR UPDATE OR DELETE ON gw_destinations
    FOR EACH STATEMENT EXECUTE FUNCTION bump_gw_routing_version();
