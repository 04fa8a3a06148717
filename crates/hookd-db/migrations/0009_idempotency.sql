-- Answers of creating POSTs sent with an `Idempotency-Key` (API.md): the same key and request
-- within 24 h get the first answer again. A row without `status` is a request in progress.
CREATE TABLE idempotency_keys (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    key             text NOT NULL,
    -- SHA-256 of method, path and body: another request under the same key is a 409.
    fingerprint     bytea NOT NULL,
    status          smallint,
    content_type    text,
    body            bytea,
    locked_at       timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (organization_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
