-- The event gateway (GATEWAY.md): sources, destinations and connections of an organization,
-- and the inbound requests received at source URLs. Ids are UUID v7; the API shows them with
-- a prefix (src_, des_, web_, req_).

CREATE TABLE gw_sources (
    id                   uuid PRIMARY KEY,
    organization_id      uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name                 text NOT NULL,
    description          text,
    -- HMAC, BASIC_AUTH, API_KEY, GITHUB, SHOPIFY, STRIPE, SVIX; NULL: no verification.
    verification_type    text,
    -- The verification's configs as JSON, sealed with the secret cipher (they hold secrets).
    verification_configs text,
    allowed_http_methods text[] NOT NULL,
    custom_response      jsonb,
    disabled_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);
CREATE INDEX gw_sources_org ON gw_sources (organization_id, created_at, id);

CREATE TABLE gw_destinations (
    id                       uuid PRIMARY KEY,
    organization_id          uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name                     text NOT NULL,
    description              text,
    url                      text,
    cli_path                 text,
    -- NULL: the inbound request's method.
    http_method              text,
    rate_limit               integer CHECK (rate_limit > 0),
    rate_limit_period        text CHECK (rate_limit_period IN ('second', 'minute', 'hour', 'concurrent')),
    path_forwarding_disabled boolean NOT NULL DEFAULT false,
    -- HOOKDECK_SIGNATURE, BASIC_AUTH, API_KEY, BEARER_TOKEN.
    auth_type                text NOT NULL DEFAULT 'HOOKDECK_SIGNATURE',
    -- The auth method's config as JSON, sealed with the secret cipher.
    auth_config              text,
    disabled_at              timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name)
);
CREATE INDEX gw_destinations_org ON gw_destinations (organization_id, created_at, id);

CREATE TABLE gw_connections (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name            text NOT NULL,
    description     text,
    -- Deleting a source or a destination drops its connections.
    source_id       uuid NOT NULL REFERENCES gw_sources(id) ON DELETE CASCADE,
    destination_id  uuid NOT NULL REFERENCES gw_destinations(id) ON DELETE CASCADE,
    -- The rules as the API takes them (checked on the way in).
    rules           jsonb NOT NULL DEFAULT '[]'::jsonb,
    disabled_at     timestamptz,
    paused_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_id, name)
);
CREATE INDEX gw_connections_org ON gw_connections (organization_id, created_at, id);
CREATE INDEX gw_connections_source ON gw_connections (source_id);
CREATE INDEX gw_connections_destination ON gw_connections (destination_id);

-- One per request received at a source URL, accepted or rejected. `body` is the raw body,
-- byte for byte (signatures depend on it).
CREATE TABLE gw_requests (
    id              uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    source_id       uuid NOT NULL REFERENCES gw_sources(id) ON DELETE CASCADE,
    verified        boolean NOT NULL,
    -- NULL when accepted; else SOURCE_DISABLED, UNSUPPORTED_HTTP_METHOD, VERIFICATION_FAILED,
    -- PAYLOAD_TOO_LARGE.
    rejection_cause text,
    method          text NOT NULL,
    -- {path, query, parsed_query, headers, body}.
    data            jsonb NOT NULL,
    body            bytea NOT NULL,
    events_count    integer NOT NULL DEFAULT 0,
    ignored_count   integer NOT NULL DEFAULT 0,
    ingested_at     timestamptz NOT NULL,
    -- NULL until the router has turned an accepted request into events: the outbox.
    routed_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gw_requests_org ON gw_requests (organization_id, created_at, id);
CREATE INDEX gw_requests_unrouted ON gw_requests (created_at)
    WHERE routed_at IS NULL AND rejection_cause IS NULL;

-- A connection of a request's source that made no event, and why (DISABLED, FILTERED,
-- NO_CONNECTION).
CREATE TABLE gw_ignored_events (
    id            uuid PRIMARY KEY,
    request_id    uuid NOT NULL REFERENCES gw_requests(id) ON DELETE CASCADE,
    connection_id uuid,
    cause         text NOT NULL,
    meta          jsonb,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gw_ignored_events_request ON gw_ignored_events (request_id, created_at, id);
