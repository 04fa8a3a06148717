-- The gateway's inbound path loses its three foreign keys to `organizations` (issue 13, after
-- 0025). Each request, event and attempt row locked its organization's row (KEY SHARE) for
-- the key's check, and concurrent batches shared those locks through MultiXacts (0025's
-- comment). The keys were redundant:
-- - An organization's deletion already reaches every such row through the keys that stay:
--   sources -> requests -> events -> attempts, each ON DELETE CASCADE.
-- - A row cannot be inserted for a missing organization either, because its source (for a
--   request) or its event (for an attempt) has to exist, and those rows cascade from the
--   organization.
-- `gw_requests.source_id` and `gw_events.connection_id` keep their keys. Those rows are hot too,
-- and replacing their keys would need 0025's triggers and tombstones.

ALTER TABLE gw_requests DROP CONSTRAINT gw_requests_organization_id_fkey;
ALTER TABLE gw_events DROP CONSTRAINT gw_events_organization_id_fkey;
ALTER TABLE gw_attempts DROP CONSTRAINT gw_attempts_organization_id_fkey;
