-- Paging, search and cache validation (ETags).

-- One number that every committed write advances: readers compare it to tell
-- whether what they read is still current.
CREATE TABLE data_revision (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
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

-- Free-text search through trigrams (SQLite's FTS5): `search_text LIKE '%words%'`
-- on this table finds the matching updates without reading every row. It
-- mirrors updates.search_text (an external-content table) through the
-- triggers below; rows from before this migration are added when the store
-- opens and fills their search text in.
CREATE VIRTUAL TABLE updates_search USING fts5(
    search_text, content = 'updates', content_rowid = 'id', tokenize = 'trigram'
);
-- Index the rows already there (their search text is still empty), so that the
-- triggers' deletes always remove what the index holds.
INSERT INTO updates_search (updates_search) VALUES ('rebuild');
CREATE TRIGGER updates_search_insert AFTER INSERT ON updates BEGIN
    INSERT INTO updates_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER updates_search_delete AFTER DELETE ON updates BEGIN
    INSERT INTO updates_search (updates_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER updates_search_update AFTER UPDATE OF search_text ON updates BEGIN
    INSERT INTO updates_search (updates_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO updates_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

-- The list in page order, carrying what its filters and search read, so that
-- a search or a walk checks index entries and reads only the rows it returns.
DROP INDEX updates_last_seen_at;
CREATE INDEX updates_page ON updates (last_seen_at DESC, id DESC, seen_revision, acknowledged_at, search_text);
-- The pending list likewise, and the oldest pending update (read backwards).
CREATE INDEX updates_pending ON updates (last_seen_at DESC, id DESC, seen_revision, search_text)
    WHERE acknowledged_at IS NULL;
-- The summary's counts per host and per image (tags), read from the index alone.
CREATE INDEX updates_hostname ON updates (hostname, acknowledged_at);
DROP INDEX updates_image;
CREATE INDEX updates_image ON updates (image, acknowledged_at);
-- Retention and the undo of a bulk acknowledgment.
CREATE INDEX updates_acknowledged_at ON updates (acknowledged_at) WHERE acknowledged_at IS NOT NULL;
-- The updates that moved since a walk started.
CREATE INDEX updates_seen_revision ON updates (seen_revision);
