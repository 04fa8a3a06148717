-- Endpoints of kind `cli` (issue 16): their deliveries are handed to a connected `hookctl
-- listen` rather than POSTed. Such an endpoint is stored with url `cli:`, so no column changes;
-- a parked delivery (waiting for a CLI) is `pending` with `next_attempt_at` NULL.
--
-- The relay of each connected CLI looks up its endpoint's pending deliveries a few times a
-- second: this index keeps that lookup to the pending rows (few) rather than every delivery the
-- endpoint ever had.
CREATE INDEX deliveries_endpoint_pending ON deliveries (endpoint_id, created_at)
    WHERE status = 'pending';
