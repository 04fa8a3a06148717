-- Operational webhooks, their remaining gaps (issue 17).
--
-- endpoint.disabled is told for every disable, with `trigger`: "automatic" when hookd disabled
-- it (a reason is stored), "manual" when someone did (the API, the console); endpoint.enabled
-- (Svix's name) for every enable, by hand. endpoint.recovered is unchanged: its circuit closed
-- (a success recorded by any delivery replica clears `circuit_opened_at`), or hookd had
-- disabled it and it was enabled again.
--
-- Each event stored NOTIFYs `hookd_operational` with its message id, on commit: the router
-- publishes it at once instead of waiting for its relay (`router.relay_after`), which still
-- publishes any the NOTIFY missed (router down, connection lost).
--
-- Example payloads per message version (`{"2.0": {...}}`), each satisfying that version's
-- schema; `example` stays the default version's.

CREATE OR REPLACE FUNCTION operational_emit(p_app uuid, p_type text, p_data jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    stored uuid;
BEGIN
    INSERT INTO messages (id, app_id, event_type, version, data, created_at)
    SELECT hookd_uuid_v7(), op.id, p_type, 'operational', p_data, now()
    FROM apps a
    JOIN apps op ON op.organization_id = a.organization_id AND op.operational
    WHERE a.id = p_app AND NOT a.operational
      AND EXISTS (SELECT 1 FROM endpoints n
                  WHERE n.app_id = op.id AND n.status = 'enabled' AND p_type = ANY (n.event_types))
    RETURNING id INTO stored;
    IF stored IS NOT NULL THEN
        PERFORM pg_notify('hookd_operational', stored::text);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION endpoint_operational_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    about jsonb := jsonb_build_object('app_id', NEW.app_id, 'endpoint_id', NEW.id,
        'subscription_id', NEW.subscription_id, 'url', NEW.url);
BEGIN
    IF OLD.status = 'enabled' AND NEW.status = 'disabled' THEN
        PERFORM operational_emit(NEW.app_id, 'endpoint.disabled', about
            || jsonb_build_object(
                'trigger', CASE WHEN NEW.disabled_reason IS NULL THEN 'manual' ELSE 'automatic' END,
                'reason', COALESCE(NEW.disabled_reason, 'disabled by hand'),
                'failing_since', NEW.failing_since));
    END IF;
    IF OLD.status = 'disabled' AND NEW.status = 'enabled' THEN
        PERFORM operational_emit(NEW.app_id, 'endpoint.enabled', about
            || jsonb_build_object('trigger', 'manual'));
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

ALTER TABLE event_types ADD COLUMN examples jsonb NOT NULL DEFAULT '{}'::jsonb;
