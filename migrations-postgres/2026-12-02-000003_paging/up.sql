-- Paging, search and cache validation (ETags).

-- One number that every committed write advances: readers compare it to tell
-- whether what they read is still current. Writers take it first in their
-- transaction, so revisions also commit in order.
CREATE TABLE data_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO data_revision (id, revision) VALUES (1, 0);

-- What free-text search looks into (image, host, workload names), folded to
-- lower case by the application so that every backend compares alike. Rows
-- from before this migration are filled in when the store opens.
ALTER TABLE updates ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
-- The revision at which last_seen_at last changed, and the revision of each
-- event: a paging walk places an update where it stood at the walk's start.
ALTER TABLE updates ADD COLUMN seen_revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE update_events ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

-- The pending list in page order, and the oldest pending update (read backwards).
CREATE INDEX updates_pending ON updates (last_seen_at DESC, id DESC) WHERE acknowledged_at IS NULL;
-- Retention and the undo of a bulk acknowledgment.
CREATE INDEX updates_acknowledged_at ON updates (acknowledged_at) WHERE acknowledged_at IS NOT NULL;
-- The updates that moved since a walk started.
CREATE INDEX updates_seen_revision ON updates (seen_revision);
