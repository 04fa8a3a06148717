-- Per-version JSON Schemas of an event type (issue 17): `{"2.0": {...}}`. A message of a
-- version listed here is checked against that schema; any other version against `schema`.
ALTER TABLE event_types ADD COLUMN schemas jsonb NOT NULL DEFAULT '{}'::jsonb;
