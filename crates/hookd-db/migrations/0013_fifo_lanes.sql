-- Ordered delivery per endpoint (issue 18, FIFO half). An endpoint with `ordering = 'fifo'`
-- gets its messages one at a time per lane: a lane is (endpoint, value of `ordering_key` in the
-- message's data; '' when the endpoint has no key or the message lacks it). The router stores a
-- fifo delivery `waiting` (pending, not due, not on the bus); when the lane's head reaches a final
-- status the next one by message id (UUID v7: send order) is promoted and published. See
-- docs/design-notes.md, "Ordered delivery".

ALTER TABLE endpoints
    ADD COLUMN ordering text NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'fifo')),
    ADD COLUMN ordering_key text;

-- NULL: an unordered delivery. Otherwise the lane: '' for the shared lane, else the key's value
-- as JSON text (so "1" and 1 are two lanes, and no value is '').
ALTER TABLE deliveries
    ADD COLUMN lane text,
    -- Behind its lane's head: pending but neither due nor queued until promoted.
    ADD COLUMN waiting boolean NOT NULL DEFAULT false;

-- A lane's unsettled deliveries, the head (not waiting) first, then by message id; also what
-- the sweep and the ordering page read. Small: only pending deliveries of fifo endpoints.
CREATE INDEX deliveries_lane ON deliveries (endpoint_id, lane, waiting, message_id)
    WHERE status = 'pending' AND lane IS NOT NULL;

-- A lane's next delivery waits while an older message of its app is not routed yet (the
-- router took it late): that check reads only the few unrouted messages.
CREATE INDEX messages_unrouted_app ON messages (app_id, id) WHERE routed_at IS NULL;

CREATE OR REPLACE FUNCTION endpoint_routing_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- `updated_at` is the signing revision the jobs carry (a rotation or new headers).
    IF TG_OP = 'INSERT'
       OR (OLD.app_id, OLD.url, OLD.version, OLD.status, OLD.event_types, OLD.rate_limit,
           OLD.updated_at, OLD.filter, OLD.ordering, OLD.ordering_key)
          IS DISTINCT FROM
          (NEW.app_id, NEW.url, NEW.version, NEW.status, NEW.event_types, NEW.rate_limit,
           NEW.updated_at, NEW.filter, NEW.ordering, NEW.ordering_key)
    THEN
        NEW.routing_seq := next_routing_seq();
    END IF;
    RETURN NEW;
END $$;
