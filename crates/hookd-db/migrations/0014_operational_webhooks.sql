-- Operational webhooks (issue 17): an organization is told when its endpoints are disabled,
-- start failing (circuit opened) or recover, when a delivery's tries run out and when a task
-- fails. They are sent by the same engine: each organization that configures them has one
-- hidden app (`operational`) with one subscription and one endpoint (its URL, secret and
-- event types), and an event is a message of that app, stored by a trigger in the very
-- transaction of the state change. The router's outbox relay publishes it like any message
-- ingest stored but could not publish, so nothing is lost and each transition is told once.

ALTER TABLE apps ADD COLUMN operational boolean NOT NULL DEFAULT false;
-- One per organization.
CREATE UNIQUE INDEX apps_operational ON apps (organization_id) WHERE operational;

-- When the endpoint's circuit opened (any delivery replica): the circuit state is per replica,
-- this column makes "it started failing" one transition for the whole install. Cleared by
-- the next success, or by enabling the endpoint again.
ALTER TABLE endpoints ADD COLUMN circuit_opened_at timestamptz;

-- A UUID v7 (time-ordered, like the services' ids); PostgreSQL 15 has no uuidv7(). The v4
-- from gen_random_uuid() gets the millisecond time in its first 48 bits and version 7.
CREATE FUNCTION hookd_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                placing substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

-- Stores operational event `p_type` about app `p_app` as a message of its organization's
-- operational app, when that organization subscribed to it. Never about the operational app
-- itself: its own failures tell nobody (no loop).
CREATE FUNCTION operational_emit(p_app uuid, p_type text, p_data jsonb) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO messages (id, app_id, event_type, version, data, created_at)
    SELECT hookd_uuid_v7(), op.id, p_type, 'operational', p_data, now()
    FROM apps a
    JOIN apps op ON op.organization_id = a.organization_id AND op.operational
    WHERE a.id = p_app AND NOT a.operational
      AND EXISTS (SELECT 1 FROM endpoints n
                  WHERE n.app_id = op.id AND n.status = 'enabled' AND p_type = ANY (n.event_types))
$$;

-- endpoint.disabled: hookd disabled it (410 Gone, sustained failure; a disable by hand leaves
-- no reason). endpoint.failing: its circuit opened. endpoint.recovered: its circuit closed
-- again, or it was enabled again after hookd disabled it.
CREATE FUNCTION endpoint_operational_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    about jsonb := jsonb_build_object('app_id', NEW.app_id, 'endpoint_id', NEW.id,
        'subscription_id', NEW.subscription_id, 'url', NEW.url);
BEGIN
    IF OLD.status = 'enabled' AND NEW.status = 'disabled' AND NEW.disabled_reason IS NOT NULL THEN
        PERFORM operational_emit(NEW.app_id, 'endpoint.disabled', about
            || jsonb_build_object('reason', NEW.disabled_reason, 'failing_since', NEW.failing_since));
    END IF;
    IF OLD.circuit_opened_at IS NULL AND NEW.circuit_opened_at IS NOT NULL THEN
        PERFORM operational_emit(NEW.app_id, 'endpoint.failing', about
            || jsonb_build_object('reason', 'consecutive failures opened its circuit',
                                  'failing_since', NEW.failing_since));
    END IF;
    IF (OLD.circuit_opened_at IS NOT NULL AND NEW.circuit_opened_at IS NULL
            AND NEW.status = 'enabled')
       OR (OLD.status = 'disabled' AND NEW.status = 'enabled' AND OLD.disabled_reason IS NOT NULL)
    THEN
        PERFORM operational_emit(NEW.app_id, 'endpoint.recovered', about
            || jsonb_build_object('reason', CASE WHEN OLD.status = 'disabled'
                THEN 'enabled again' ELSE 'a try succeeded' END));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER endpoints_operational_events AFTER UPDATE ON endpoints FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.circuit_opened_at IS DISTINCT FROM NEW.circuit_opened_at)
    EXECUTE FUNCTION endpoint_operational_events();

-- delivery.exhausted: a delivery failed for good on a try (its last, or a 410 Gone); a
-- delivery failed because its endpoint was disabled counted no try and is not told.
CREATE FUNCTION delivery_operational_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM operational_emit(NEW.app_id, 'delivery.exhausted', jsonb_build_object(
        'app_id', NEW.app_id, 'endpoint_id', NEW.endpoint_id, 'message_id', NEW.message_id,
        'delivery_id', NEW.id, 'event_type', NEW.event_type, 'attempt_count', NEW.attempt_count,
        'reason', COALESCE((SELECT COALESCE(a.error, 'HTTP ' || a.response_status)
                            FROM attempts a WHERE a.delivery_id = NEW.id
                            ORDER BY a.attempt DESC LIMIT 1), 'every try failed')));
    RETURN NULL;
END $$;

-- The WHEN keeps the hot path (every attempt record) free of the function call.
CREATE TRIGGER deliveries_operational_events AFTER UPDATE ON deliveries FOR EACH ROW
    WHEN (OLD.status = 'pending' AND NEW.status = 'failed'
          AND NEW.attempt_count > OLD.attempt_count)
    EXECUTE FUNCTION delivery_operational_events();

-- task.failed: a task ended `failed` (a delivery ran out of tries, or no endpoint matched).
CREATE FUNCTION task_operational_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM operational_emit(NEW.app_id, 'task.failed', jsonb_build_object(
        'app_id', NEW.app_id, 'task_id', NEW.id, 'event_type', NEW.event_type,
        'message_id', NEW.message_id, 'scheduled_run_time', NEW.scheduled_run_time,
        'reason', CASE WHEN NEW.endpoint_id IS NULL THEN 'no endpoint matched'
                       ELSE 'a delivery ran out of tries' END));
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_operational_events AFTER UPDATE ON tasks FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM 'failed' AND NEW.status = 'failed')
    EXECUTE FUNCTION task_operational_events();
