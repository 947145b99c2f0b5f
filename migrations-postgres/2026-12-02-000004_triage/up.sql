-- Triage for fleets: snoozes, mute rules, and when an update became pending.

-- Rules whose matching notifications are stored but never become pending.
-- Matching (a glob on the image reference) happens in the application.
CREATE TABLE mute_rules (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pattern TEXT NOT NULL,
    hostname TEXT,
    status TEXT CHECK (status IN ('new', 'update')),
    comment TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);

-- Until when a user put the update aside; cleared by a new digest, by an
-- unsnooze, and by the server once the time has come.
ALTER TABLE updates ADD COLUMN snoozed_until TIMESTAMPTZ;
-- The rule muting the update. Deleting a rule re-applies the other rules to
-- its updates in the same transaction; SET NULL only guards against a rule
-- deleted by hand.
ALTER TABLE updates ADD COLUMN muted_by BIGINT REFERENCES mute_rules (id) ON DELETE SET NULL;
-- When the update last became pending (reminders: "pending for N days").
-- Existing rows start from their first notification.
ALTER TABLE updates ADD COLUMN pending_since TIMESTAMPTZ;
UPDATE updates SET pending_since = first_seen_at;
ALTER TABLE updates ALTER COLUMN pending_since SET NOT NULL;

-- "Pending" now means not acknowledged, not muted, not snoozed: the pending
-- list, its page order and the oldest pending update read this index.
DROP INDEX updates_pending;
CREATE INDEX updates_pending ON updates (last_seen_at DESC, id DESC) INCLUDE (seen_revision)
    WHERE acknowledged_at IS NULL AND muted_by IS NULL AND snoozed_until IS NULL;
-- The list in page order, carrying every column its filters read.
DROP INDEX updates_page;
CREATE INDEX updates_page ON updates (last_seen_at DESC, id DESC)
    INCLUDE (seen_revision, acknowledged_at, muted_by, snoozed_until);
-- The summary's counts per host and per image (tags, the image grouping),
-- read from the index alone.
DROP INDEX updates_hostname;
CREATE INDEX updates_hostname ON updates (hostname) INCLUDE (acknowledged_at, muted_by, snoozed_until);
DROP INDEX updates_image;
CREATE INDEX updates_image ON updates (image)
    INCLUDE (acknowledged_at, muted_by, snoozed_until, last_seen_at, first_seen_at, hostname);
-- The waker: snoozes that are due.
CREATE INDEX updates_snoozed_until ON updates (snoozed_until) WHERE snoozed_until IS NOT NULL;
-- A rule's updates: how many it holds, and what its deletion restores.
CREATE INDEX updates_muted_by ON updates (muted_by) WHERE muted_by IS NOT NULL;
-- Reminders: pending updates by how long they have waited.
CREATE INDEX updates_pending_since ON updates (pending_since)
    WHERE acknowledged_at IS NULL AND muted_by IS NULL AND snoozed_until IS NULL;
