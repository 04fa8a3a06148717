-- Endpoint payload filters (issue 18): an endpoint with a filter gets only the messages whose
-- {event_type, version, data} match it (hookd-filter syntax, checked by the API). NULL: all.
-- The router holds the parsed filter in its view, so a change of it is a routing change.

ALTER TABLE endpoints ADD COLUMN filter jsonb;

CREATE OR REPLACE FUNCTION endpoint_routing_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- `updated_at` is the signing revision the jobs carry (a rotation or new headers).
    IF TG_OP = 'INSERT'
       OR (OLD.app_id, OLD.url, OLD.version, OLD.status, OLD.event_types, OLD.rate_limit,
           OLD.updated_at, OLD.filter)
          IS DISTINCT FROM
          (NEW.app_id, NEW.url, NEW.version, NEW.status, NEW.event_types, NEW.rate_limit,
           NEW.updated_at, NEW.filter)
    THEN
        NEW.routing_seq := next_routing_seq();
    END IF;
    RETURN NEW;
END $$;
