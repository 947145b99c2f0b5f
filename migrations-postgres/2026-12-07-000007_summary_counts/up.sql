-- The summary's counts, kept up to date by triggers instead of counted on
-- every change: one row per tag and host, its updates counted per state
-- (acknowledged, then muted, then snoozed, then pending: the precedence of
-- `UpdateState`). Triggers rather than application code, so that every way
-- of changing the rows (the API, an import, a cascade, a hand-written
-- statement) keeps them right.
--
-- `tag_id` is 0 for images without a tag: tag ids start at 1, and a key
-- column cannot hold NULL. Rows whose counts fall to 0 stay; readers skip them.
--
-- The triggers run once per statement on the rows it changed (transition
-- tables), so that acknowledging 100,000 updates writes each count row once
-- rather than 100,000 times. A count row stays locked until its transaction
-- ends; every write transaction takes the revision row first (see the store's
-- `write`), so two of them never wait on each other's count rows in turn.
CREATE TABLE update_counts (
    tag_id BIGINT NOT NULL,
    hostname TEXT NOT NULL,
    pending BIGINT NOT NULL,
    snoozed BIGINT NOT NULL,
    muted BIGINT NOT NULL,
    acknowledged BIGINT NOT NULL,
    PRIMARY KEY (tag_id, hostname)
);

-- One update counted in (sign 1) or out of (sign -1) its group and state.
CREATE TYPE update_count_delta AS (
    tag_id BIGINT, hostname TEXT, pending INT, snoozed INT, muted INT, acknowledged INT
);

CREATE FUNCTION update_count_delta(
    tag_id BIGINT, hostname TEXT, acknowledged_at TIMESTAMPTZ, muted_by BIGINT, snoozed_until TIMESTAMPTZ, sign INT
) RETURNS update_count_delta LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(
        coalesce(tag_id, 0), hostname,
        sign * (acknowledged_at IS NULL AND muted_by IS NULL AND snoozed_until IS NULL)::int,
        sign * (acknowledged_at IS NULL AND muted_by IS NULL AND snoozed_until IS NOT NULL)::int,
        sign * (acknowledged_at IS NULL AND muted_by IS NOT NULL)::int,
        sign * (acknowledged_at IS NOT NULL)::int
    )::update_count_delta
$$;

-- Adds deltas to the counts, one write per group whose counts moved.
-- PL/pgSQL rather than SQL: it keeps its plan for the session, where a SQL
-- function's INSERT was planned again on every call (measured in psql: the
-- trigger added about 230 µs to a one-row UPDATE that way, 90 µs this way).
CREATE FUNCTION add_update_counts(deltas update_count_delta[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO update_counts AS c (tag_id, hostname, pending, snoozed, muted, acknowledged)
    SELECT d.tag_id, d.hostname, sum(d.pending), sum(d.snoozed), sum(d.muted), sum(d.acknowledged)
    FROM unnest(deltas) AS d
    GROUP BY d.tag_id, d.hostname
    HAVING sum(d.pending) <> 0 OR sum(d.snoozed) <> 0 OR sum(d.muted) <> 0 OR sum(d.acknowledged) <> 0
    ON CONFLICT (tag_id, hostname) DO UPDATE SET
        pending = c.pending + excluded.pending, snoozed = c.snoozed + excluded.snoozed,
        muted = c.muted + excluded.muted, acknowledged = c.acknowledged + excluded.acknowledged;
END
$$;

-- Updates inserted, deleted, or changed (each counted out of its old group
-- and state and into its new ones). Every webhook's statement fires these,
-- often with nothing to count (the insert half of an upsert that updated, an
-- update of `last_seen_at` alone): those return after one look at the rows.
CREATE FUNCTION count_updates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT FROM new_rows) THEN
            PERFORM add_update_counts(ARRAY(
                SELECT update_count_delta(t.tag_id, r.hostname, r.acknowledged_at, r.muted_by, r.snoozed_until, 1)
                FROM new_rows AS r LEFT JOIN image_tags AS t ON t.image = r.image
            ));
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT FROM old_rows) THEN
            PERFORM add_update_counts(ARRAY(
                SELECT update_count_delta(t.tag_id, r.hostname, r.acknowledged_at, r.muted_by, r.snoozed_until, -1)
                FROM old_rows AS r LEFT JOIN image_tags AS t ON t.image = r.image
            ));
        END IF;
    ELSIF EXISTS (
        SELECT FROM old_rows AS o JOIN new_rows AS n USING (id)
        WHERE o.image <> n.image OR o.hostname <> n.hostname
           OR (o.acknowledged_at IS NULL) <> (n.acknowledged_at IS NULL)
           OR (o.muted_by IS NULL) <> (n.muted_by IS NULL)
           OR (o.snoozed_until IS NULL) <> (n.snoozed_until IS NULL)
    ) THEN
        PERFORM add_update_counts(ARRAY(
            SELECT update_count_delta(t.tag_id, r.hostname, r.acknowledged_at, r.muted_by, r.snoozed_until, -1)
            FROM old_rows AS r LEFT JOIN image_tags AS t ON t.image = r.image
            UNION ALL
            SELECT update_count_delta(t.tag_id, r.hostname, r.acknowledged_at, r.muted_by, r.snoozed_until, 1)
            FROM new_rows AS r LEFT JOIN image_tags AS t ON t.image = r.image
        ));
    END IF;
    RETURN NULL;
END
$$;

-- Images given a tag, moved to another, or left without one (also by the
-- cascade of a tag's deletion): their updates, on every host, change groups.
CREATE FUNCTION count_assignments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM add_update_counts(ARRAY(
            SELECT update_count_delta(m.tag_id, u.hostname, u.acknowledged_at, u.muted_by, u.snoozed_until, m.sign)
            FROM (SELECT image, tag_id, 1 AS sign FROM new_assignments
                  UNION ALL SELECT image, 0, -1 FROM new_assignments) AS m
            JOIN updates AS u ON u.image = m.image
        ));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM add_update_counts(ARRAY(
            SELECT update_count_delta(m.tag_id, u.hostname, u.acknowledged_at, u.muted_by, u.snoozed_until, m.sign)
            FROM (SELECT image, tag_id, -1 AS sign FROM old_assignments
                  UNION ALL SELECT image, 0, 1 FROM old_assignments) AS m
            JOIN updates AS u ON u.image = m.image
        ));
    ELSE
        PERFORM add_update_counts(ARRAY(
            SELECT update_count_delta(m.tag_id, u.hostname, u.acknowledged_at, u.muted_by, u.snoozed_until, m.sign)
            FROM (SELECT image, tag_id, -1 AS sign FROM old_assignments
                  UNION ALL SELECT image, 0, 1 FROM old_assignments
                  UNION ALL SELECT image, tag_id, 1 FROM new_assignments
                  UNION ALL SELECT image, 0, -1 FROM new_assignments) AS m
            JOIN updates AS u ON u.image = m.image
        ));
    END IF;
    RETURN NULL;
END
$$;

-- Every count from scratch: once here, and after a TRUNCATE, which reports
-- no rows to the triggers above.
CREATE FUNCTION recount_updates() RETURNS void LANGUAGE sql AS $$
    DELETE FROM update_counts;
    SELECT add_update_counts(ARRAY(
        SELECT update_count_delta(t.tag_id, u.hostname, u.acknowledged_at, u.muted_by, u.snoozed_until, 1)
        FROM updates AS u LEFT JOIN image_tags AS t ON t.image = u.image
    ));
$$;

CREATE FUNCTION recount_updates_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM recount_updates();
    RETURN NULL;
END
$$;

SELECT recount_updates();

CREATE TRIGGER update_counts_insert AFTER INSERT ON updates
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_updates();
CREATE TRIGGER update_counts_delete AFTER DELETE ON updates
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_updates();
CREATE TRIGGER update_counts_update AFTER UPDATE ON updates
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_updates();
CREATE TRIGGER update_counts_truncate AFTER TRUNCATE ON updates
    FOR EACH STATEMENT EXECUTE FUNCTION recount_updates_after_truncate();
CREATE TRIGGER update_counts_tag_insert AFTER INSERT ON image_tags
    REFERENCING NEW TABLE AS new_assignments FOR EACH STATEMENT EXECUTE FUNCTION count_assignments();
CREATE TRIGGER update_counts_tag_delete AFTER DELETE ON image_tags
    REFERENCING OLD TABLE AS old_assignments FOR EACH STATEMENT EXECUTE FUNCTION count_assignments();
CREATE TRIGGER update_counts_tag_update AFTER UPDATE ON image_tags
    REFERENCING OLD TABLE AS old_assignments NEW TABLE AS new_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION count_assignments();
CREATE TRIGGER update_counts_tag_truncate AFTER TRUNCATE ON image_tags
    FOR EACH STATEMENT EXECUTE FUNCTION recount_updates_after_truncate();
