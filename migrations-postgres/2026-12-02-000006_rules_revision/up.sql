-- A count of changes to the mute rules, kept on the revision row. A webhook's
-- transaction takes that row first (it waits there for a rule being made or
-- removed to commit), and reads this count with its revision: while the count
-- is the one it saw before, its replica's cached rules are still the rules,
-- and the webhook sends no query for them.
ALTER TABLE data_revision ADD COLUMN rules_revision BIGINT NOT NULL DEFAULT 0;

-- Counted by a trigger, so that no way of changing the rules (the API, an
-- import, a hand-written statement) can leave a stale cache behind.
CREATE FUNCTION count_mute_rule_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_revision SET rules_revision = rules_revision + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER mute_rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mute_rules
    FOR EACH STATEMENT EXECUTE FUNCTION count_mute_rule_change();
