-- Data retention (issue 17): message payloads and attempt bodies are expunged after the
-- organization's payload retention (NULL: the configured default), and messages with their
-- deliveries and attempts deleted after the metadata retention. The router's retention pass
-- does it in small batches.

ALTER TABLE organizations ADD COLUMN payload_retention_days integer
    CHECK (payload_retention_days > 0);

-- Set when the payload was expunged (by retention or `DELETE /messages/{id}/content`); `data`
-- is then JSON null.
ALTER TABLE messages ADD COLUMN expunged_at timestamptz;

-- How far each app's payloads are expunged: the keyset position (created_at, id) of the last
-- message looked at, so a pass does not walk again what earlier passes expunged.
CREATE TABLE retention_cursors (
    app_id      uuid PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
    payloads_at timestamptz NOT NULL,
    payloads_id uuid NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
