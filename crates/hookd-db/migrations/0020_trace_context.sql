-- Trace context across retries and relays (issue 16): the W3C `traceparent` of the step that
-- made the row, so a try the scheduler publishes later (a retry, a postponed or re-leased job)
-- or a request the relay publishes again continues the original trace. NULL when spans were
-- not exported.
ALTER TABLE deliveries ADD COLUMN traceparent text;
ALTER TABLE gw_requests ADD COLUMN traceparent text;
