-- A retry someone asked for (single or bulk) is sent at once, past an open circuit, as its
-- probe (issue 14, item 8); set by the retry routes, cleared when the try is recorded.
ALTER TABLE deliveries ADD COLUMN explicit_retry boolean NOT NULL DEFAULT false;
