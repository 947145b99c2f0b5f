DROP INDEX updates_seen_revision;
DROP INDEX updates_acknowledged_at;
DROP INDEX updates_pending;
ALTER TABLE update_events DROP COLUMN revision;
ALTER TABLE updates DROP COLUMN seen_revision;
ALTER TABLE updates DROP COLUMN search_text;
DROP TABLE data_revision;
