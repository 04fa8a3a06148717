-- The gateway's delivery side (GATEWAY.md, Delivery, Events and attempts, Bulk retry): one
-- event per request and matching connection, its tries, the organization's signing secret and
-- bulk retries. Delivered by the same workers as messages; ids shown with prefixes evt_, atm_,
-- bch_.

CREATE TABLE gw_events (
    id                   uuid PRIMARY KEY,
    organization_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    -- The connection (`webhook_id`); deleting it drops its events.
    connection_id        uuid NOT NULL REFERENCES gw_connections(id) ON DELETE CASCADE,
    source_id            uuid NOT NULL,
    destination_id       uuid NOT NULL,
    request_id           uuid NOT NULL REFERENCES gw_requests(id) ON DELETE CASCADE,
    status               text NOT NULL
        CHECK (status IN ('SCHEDULED', 'QUEUED', 'HOLD', 'SUCCESSFUL', 'FAILED')),
    -- Tries made so far.
    attempts             integer NOT NULL DEFAULT 0,
    last_attempt_at      timestamptz,
    -- When the next try is due; while a job is on the bus (`queued`), when its lease runs out.
    next_attempt_at      timestamptz,
    queued               boolean NOT NULL DEFAULT false,
    -- What starts the next try (INITIAL, AUTOMATIC, MANUAL, BULK_RETRY, UNPAUSE), and the bulk
    -- retry that asked for it: the attempt records both.
    next_trigger         text NOT NULL DEFAULT 'INITIAL'
        CHECK (next_trigger IN ('INITIAL', 'AUTOMATIC', 'MANUAL', 'BULK_RETRY', 'UNPAUSE')),
    next_bulk_retry_id   uuid,
    -- Automatic tries made (the connection's retry rule counts these).
    automatic_tries      integer NOT NULL DEFAULT 0,
    muted_at             timestamptz,
    response_status      integer,
    error_code           text,
    successful_at        timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (request_id, connection_id)
);
CREATE INDEX gw_events_org ON gw_events (organization_id, created_at, id);
CREATE INDEX gw_events_request ON gw_events (request_id, created_at, id);
-- What the scheduler claims: due tries and expired leases.
CREATE INDEX gw_events_due ON gw_events (next_attempt_at)
    WHERE next_attempt_at IS NOT NULL AND status IN ('SCHEDULED', 'QUEUED', 'FAILED');
-- What an unpause releases.
CREATE INDEX gw_events_held ON gw_events (connection_id) WHERE status = 'HOLD';

CREATE TABLE gw_attempts (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    event_id         uuid NOT NULL REFERENCES gw_events(id) ON DELETE CASCADE,
    destination_id   uuid NOT NULL,
    attempt_number   integer NOT NULL,
    trigger          text NOT NULL
        CHECK (trigger IN ('INITIAL', 'AUTOMATIC', 'MANUAL', 'BULK_RETRY', 'UNPAUSE')),
    status           text NOT NULL CHECK (status IN ('SUCCESSFUL', 'FAILED')),
    response_status  integer,
    error_code       text,
    -- The answer's body, cut at 4 KiB.
    body             text,
    requested_url    text NOT NULL,
    http_method      text NOT NULL,
    bulk_retry_id    uuid,
    duration_ms      integer NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gw_attempts_event ON gw_attempts (event_id, created_at, id);
CREATE INDEX gw_attempts_org ON gw_attempts (organization_id, created_at, id);

-- The organization's key for `x-hookdeck-signature`, sealed with the secret cipher; after a
-- rotation the previous one also signs (`x-hookdeck-signature-2`) until `previous_until`.
CREATE TABLE gw_signing_secrets (
    organization_id uuid PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    secret          text NOT NULL,
    previous        text,
    previous_until  timestamptz,
    revision        bigint NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE gw_bulk_retries (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    -- The event filters as given.
    query            jsonb NOT NULL,
    estimated_count  integer NOT NULL,
    estimated_batch  integer NOT NULL,
    processed_batch  integer NOT NULL DEFAULT 0,
    completed_count  integer NOT NULL DEFAULT 0,
    failed_count     integer NOT NULL DEFAULT 0,
    -- Keyset position of the last event processed, so a crashed run resumes.
    cursor_created_at timestamptz,
    cursor_id         uuid,
    in_progress      boolean NOT NULL DEFAULT true,
    completed_at     timestamptz,
    cancelled_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gw_bulk_retries_org ON gw_bulk_retries (organization_id, created_at, id);
CREATE INDEX gw_bulk_retries_running ON gw_bulk_retries (created_at) WHERE in_progress;
