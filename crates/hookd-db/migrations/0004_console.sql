-- The web console and subscriber portal (CONSOLE.md): login sessions, portal links and their
-- sessions, and event type examples. Session ids and link tokens are kept as SHA-256 only.

-- A console session acts as the API key it was opened with: the key's hash is kept (the
-- bootstrap admin key has no row in api_keys) and every request resolves it again.
CREATE TABLE console_sessions (
    id_hash     bytea PRIMARY KEY,
    key_hash    bytea NOT NULL,
    csrf_token  text NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_sessions_key ON console_sessions (key_hash);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- A deleted key ends its console sessions at once.
CREATE FUNCTION end_console_sessions_of_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM console_sessions WHERE key_hash = OLD.key_hash;
    RETURN NULL;
END $$;

CREATE TRIGGER api_keys_end_sessions AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION end_console_sessions_of_key();

-- Magic links into the portal, one subscription each.
CREATE TABLE portal_links (
    id              uuid PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    token_hash      bytea NOT NULL UNIQUE,
    read_only       boolean NOT NULL,
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_links_subscription ON portal_links (subscription_id);

-- Deleting a link (expire_all) ends its sessions with it.
CREATE TABLE portal_sessions (
    id_hash     bytea PRIMARY KEY,
    link_id     uuid NOT NULL REFERENCES portal_links(id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_sessions_link ON portal_sessions (link_id);

-- An example payload per event type (the console's "Send test message" sends it).
ALTER TABLE event_types ADD COLUMN example jsonb;


-- The message log's filters (CONSOLE.md: 50 a page by keyset, an index per filter, no count):
-- by event type, a keyset walk of its own;
CREATE INDEX messages_app_event_type ON messages (app_id, event_type, created_at, id);
-- by a pending or failed delivery (rare, so a walk of all messages would probe many), the
-- messages that have one; `succeeded` (most messages) walks messages and probes
-- deliveries' (message_id, endpoint_id) index.
CREATE INDEX deliveries_app_unsettled ON deliveries (app_id, status, message_id)
    WHERE status <> 'succeeded';
