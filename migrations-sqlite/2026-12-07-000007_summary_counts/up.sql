-- The summary's counts, kept up to date by triggers instead of counted on
-- every change: one row per tag and host, its updates counted per state
-- (acknowledged, then muted, then snoozed, then pending: the precedence of
-- `UpdateState`). Triggers rather than application code, so that every way
-- of changing the rows (the API, an import, a cascade, a hand-written
-- statement) keeps them right.
--
-- `tag_id` is 0 for images without a tag: tag ids start at 1, and a key
-- column holding NULL would not be unique. Rows whose counts fall to 0 stay;
-- readers skip them.
--
-- SQLite's triggers run once per row and its SQL has no functions, so the
-- state expressions repeat in each trigger; a row's trigger is cheap here
-- (in-process, one writer at a time).
CREATE TABLE update_counts (
    tag_id BIGINT NOT NULL,
    hostname TEXT NOT NULL,
    pending BIGINT NOT NULL,
    snoozed BIGINT NOT NULL,
    muted BIGINT NOT NULL,
    acknowledged BIGINT NOT NULL,
    PRIMARY KEY (tag_id, hostname)
) WITHOUT ROWID;

INSERT INTO update_counts (tag_id, hostname, pending, snoozed, muted, acknowledged)
SELECT coalesce(t.tag_id, 0), u.hostname,
       sum(u.acknowledged_at IS NULL AND u.muted_by IS NULL AND u.snoozed_until IS NULL),
       sum(u.acknowledged_at IS NULL AND u.muted_by IS NULL AND u.snoozed_until IS NOT NULL),
       sum(u.acknowledged_at IS NULL AND u.muted_by IS NOT NULL),
       sum(u.acknowledged_at IS NOT NULL)
FROM updates AS u LEFT JOIN image_tags AS t ON t.image = u.image
GROUP BY 1, 2;

-- An update is counted in its group and state when written, taken out when removed.
CREATE TRIGGER update_counts_insert AFTER INSERT ON updates BEGIN
    INSERT INTO update_counts (tag_id, hostname, pending, snoozed, muted, acknowledged)
    VALUES (coalesce((SELECT tag_id FROM image_tags WHERE image = new.image), 0), new.hostname,
            (new.acknowledged_at IS NULL AND new.muted_by IS NULL AND new.snoozed_until IS NULL),
            (new.acknowledged_at IS NULL AND new.muted_by IS NULL AND new.snoozed_until IS NOT NULL),
            (new.acknowledged_at IS NULL AND new.muted_by IS NOT NULL),
            (new.acknowledged_at IS NOT NULL))
    ON CONFLICT (tag_id, hostname) DO UPDATE SET
        pending = pending + excluded.pending, snoozed = snoozed + excluded.snoozed,
        muted = muted + excluded.muted, acknowledged = acknowledged + excluded.acknowledged;
END;

CREATE TRIGGER update_counts_delete AFTER DELETE ON updates BEGIN
    INSERT INTO update_counts (tag_id, hostname, pending, snoozed, muted, acknowledged)
    VALUES (coalesce((SELECT tag_id FROM image_tags WHERE image = old.image), 0), old.hostname,
            -(old.acknowledged_at IS NULL AND old.muted_by IS NULL AND old.snoozed_until IS NULL),
            -(old.acknowledged_at IS NULL AND old.muted_by IS NULL AND old.snoozed_until IS NOT NULL),
            -(old.acknowledged_at IS NULL AND old.muted_by IS NOT NULL),
            -(old.acknowledged_at IS NOT NULL))
    ON CONFLICT (tag_id, hostname) DO UPDATE SET
        pending = pending + excluded.pending, snoozed = snoozed + excluded.snoozed,
        muted = muted + excluded.muted, acknowledged = acknowledged + excluded.acknowledged;
END;

-- Only when the state or the group changed: a webhook that moves
-- `last_seen_at` alone costs nothing here.
CREATE TRIGGER update_counts_update AFTER UPDATE OF image, hostname, acknowledged_at, muted_by, snoozed_until
ON updates
WHEN old.image IS NOT new.image OR old.hostname IS NOT new.hostname
  OR (old.acknowledged_at IS NULL) IS NOT (new.acknowledged_at IS NULL)
  OR (old.muted_by IS NULL) IS NOT (new.muted_by IS NULL)
  OR (old.snoozed_until IS NULL) IS NOT (new.snoozed_until IS NULL)
BEGIN
    INSERT INTO update_counts (tag_id, hostname, pending, snoozed, muted, acknowledged)
    VALUES (coalesce((SELECT tag_id FROM image_tags WHERE image = old.image), 0), old.hostname,
            -(old.acknowledged_at IS NULL AND old.muted_by IS NULL AND old.snoozed_until IS NULL),
            -(old.acknowledged_at IS NULL AND old.muted_by IS NULL AND old.snoozed_until IS NOT NULL),
            -(old.acknowledged_at IS NULL AND old.muted_by IS NOT NULL),
            -(old.acknowledged_at IS NOT NULL))
    ON CONFLICT (tag_id, hostname) DO UPDATE SET
        pending = pending + excluded.pending, snoozed = snoozed + excluded.snoozed,
        muted = muted + excluded.muted, acknowledged = acknowledged + excluded.acknowledged;
    INSERT INTO update_counts (tag_id, hostname, pending, snoozed, muted, acknowledged)
    VALUES (coalesce((SELECT tag_id FROM image_tags WHERE image = new.image), 0), new.hostname,
            (new.acknowledged_at IS NULL AND new.muted_by IS NULL AND new.snoozed_until IS NULL),
            (new.acknowledged_at IS NULL AND new.muted_by IS NULL AND new.snoozed_until IS NOT NULL),
            (new.acknowledged_at IS NULL AND new.muted_by IS NOT NULL),
            (new.acknowledged_at IS NOT NULL))
    ON CONFLICT (tag_id, hostname) DO UPDATE SET
        pending = pending + excluded.pending, snoozed = snoozed + excluded.snoozed,
        muted = muted + excluded.muted, acknowledged = acknowledged + excluded.acknowledged;
END;

-- An image given a tag, moved to another, or left without one (also when its
-- tag is deleted: the cascade fires the delete trigger): its updates, on
-- every host, move from one group to the other.
CREATE TRIGGER update_counts_tag_insert AFTER INSERT ON image_tags BEGIN
    INSERT INTO update_counts (tag_id, hostname, pending, snoozed, muted, acknowledged)
    SELECT g.tag_id, u.hostname,
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NULL AND u.snoozed_until IS NULL)),
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NULL AND u.snoozed_until IS NOT NULL)),
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NOT NULL)),
           sum(g.sign * (u.acknowledged_at IS NOT NULL))
    FROM (SELECT 0 AS tag_id, -1 AS sign UNION ALL SELECT new.tag_id, 1) AS g
    JOIN updates AS u ON u.image = new.image
    -- (SQLite needs a WHERE before an upsert's ON CONFLICT in an INSERT … SELECT.)
    WHERE true
    GROUP BY g.tag_id, u.hostname
    ON CONFLICT (tag_id, hostname) DO UPDATE SET
        pending = pending + excluded.pending, snoozed = snoozed + excluded.snoozed,
        muted = muted + excluded.muted, acknowledged = acknowledged + excluded.acknowledged;
END;

CREATE TRIGGER update_counts_tag_delete AFTER DELETE ON image_tags BEGIN
    INSERT INTO update_counts (tag_id, hostname, pending, snoozed, muted, acknowledged)
    SELECT g.tag_id, u.hostname,
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NULL AND u.snoozed_until IS NULL)),
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NULL AND u.snoozed_until IS NOT NULL)),
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NOT NULL)),
           sum(g.sign * (u.acknowledged_at IS NOT NULL))
    FROM (SELECT old.tag_id AS tag_id, -1 AS sign UNION ALL SELECT 0, 1) AS g
    JOIN updates AS u ON u.image = old.image
    -- (SQLite needs a WHERE before an upsert's ON CONFLICT in an INSERT … SELECT.)
    WHERE true
    GROUP BY g.tag_id, u.hostname
    ON CONFLICT (tag_id, hostname) DO UPDATE SET
        pending = pending + excluded.pending, snoozed = snoozed + excluded.snoozed,
        muted = muted + excluded.muted, acknowledged = acknowledged + excluded.acknowledged;
END;

CREATE TRIGGER update_counts_tag_update AFTER UPDATE OF image, tag_id ON image_tags BEGIN
    INSERT INTO update_counts (tag_id, hostname, pending, snoozed, muted, acknowledged)
    SELECT g.tag_id, u.hostname,
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NULL AND u.snoozed_until IS NULL)),
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NULL AND u.snoozed_until IS NOT NULL)),
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NOT NULL)),
           sum(g.sign * (u.acknowledged_at IS NOT NULL))
    FROM (SELECT old.tag_id AS tag_id, -1 AS sign UNION ALL SELECT 0, 1) AS g
    JOIN updates AS u ON u.image = old.image
    -- (SQLite needs a WHERE before an upsert's ON CONFLICT in an INSERT … SELECT.)
    WHERE true
    GROUP BY g.tag_id, u.hostname
    ON CONFLICT (tag_id, hostname) DO UPDATE SET
        pending = pending + excluded.pending, snoozed = snoozed + excluded.snoozed,
        muted = muted + excluded.muted, acknowledged = acknowledged + excluded.acknowledged;
    INSERT INTO update_counts (tag_id, hostname, pending, snoozed, muted, acknowledged)
    SELECT g.tag_id, u.hostname,
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NULL AND u.snoozed_until IS NULL)),
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NULL AND u.snoozed_until IS NOT NULL)),
           sum(g.sign * (u.acknowledged_at IS NULL AND u.muted_by IS NOT NULL)),
           sum(g.sign * (u.acknowledged_at IS NOT NULL))
    FROM (SELECT 0 AS tag_id, -1 AS sign UNION ALL SELECT new.tag_id, 1) AS g
    JOIN updates AS u ON u.image = new.image
    -- (SQLite needs a WHERE before an upsert's ON CONFLICT in an INSERT … SELECT.)
    WHERE true
    GROUP BY g.tag_id, u.hostname
    ON CONFLICT (tag_id, hostname) DO UPDATE SET
        pending = pending + excluded.pending, snoozed = snoozed + excluded.snoozed,
        muted = muted + excluded.muted, acknowledged = acknowledged + excluded.acknowledged;
END;
