DROP INDEX updates_pending_since;
DROP INDEX updates_muted_by;
DROP INDEX updates_snoozed_until;
DROP INDEX updates_image;
CREATE INDEX updates_image ON updates (image) INCLUDE (acknowledged_at);
DROP INDEX updates_hostname;
CREATE INDEX updates_hostname ON updates (hostname) INCLUDE (acknowledged_at);
DROP INDEX updates_page;
CREATE INDEX updates_page ON updates (last_seen_at DESC, id DESC) INCLUDE (seen_revision, acknowledged_at);
DROP INDEX updates_pending;
CREATE INDEX updates_pending ON updates (last_seen_at DESC, id DESC) INCLUDE (seen_revision)
    WHERE acknowledged_at IS NULL;
ALTER TABLE updates DROP COLUMN pending_since;
ALTER TABLE updates DROP COLUMN muted_by;
ALTER TABLE updates DROP COLUMN snoozed_until;
DROP TABLE mute_rules;
