-- Gateway events of CLI destinations (issue 16): parked (waiting for `hookctl listen --source`)
-- is `QUEUED`, not queued, `next_attempt_at` NULL. The relay of each connected CLI looks up its
-- source's parked events a few times a second: this index keeps that to the parked rows.
CREATE INDEX gw_events_cli_parked ON gw_events (source_id, created_at)
    WHERE status = 'QUEUED' AND NOT queued AND next_attempt_at IS NULL;

-- A message's W3C `traceparent` (its ingest step), so the messages relay, which publishes a
-- message whose first publish was missed, continues the message's trace. NULL when spans were
-- not exported.
ALTER TABLE messages ADD COLUMN traceparent text;
