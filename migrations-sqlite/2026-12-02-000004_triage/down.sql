DROP INDEX updates_pending_since;
DROP INDEX updates_muted_by;
DROP INDEX updates_snoozed_until;
DROP INDEX updates_image;
CREATE INDEX updates_image ON updates (image, acknowledged_at);
DROP INDEX updates_hostname;
CREATE INDEX updates_hostname ON updates (hostname, acknowledged_at);
DROP INDEX updates_page;
CREATE INDEX updates_page ON updates (last_seen_at DESC, id DESC, seen_revision, acknowledged_at, search_text);
DROP INDEX updates_pending;
CREATE INDEX updates_pending ON updates (last_seen_at DESC, id DESC, seen_revision, search_text)
    WHERE acknowledged_at IS NULL;
ALTER TABLE updates DROP COLUMN pending_since;
ALTER TABLE updates DROP COLUMN muted_by;
ALTER TABLE updates DROP COLUMN snoozed_until;
DROP TABLE mute_rules;
