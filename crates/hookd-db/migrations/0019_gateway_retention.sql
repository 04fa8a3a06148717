-- Gateway retention (issue 17): an inbound request's body and headers (and with them what its
-- events sent, and its attempts' response bodies) are expunged after the organization's payload
-- retention; requests with their events and attempts are deleted after the metadata retention.

-- Set when the request's body and data were expunged: `body` is then empty and `data` keeps
-- only the path.
ALTER TABLE gw_requests ADD COLUMN expunged_at timestamptz;

-- What the retention pass walks: requests not yet expunged, oldest first per organization.
-- Expunged rows leave it, so a pass never rescans what earlier passes did.
CREATE INDEX gw_requests_unexpunged ON gw_requests (organization_id, created_at)
    WHERE expunged_at IS NULL;
