-- The search index takes each row's trigrams as the row is written, not
-- through GIN's list of pending entries. With that list, the write that
-- finds it full (4 MB: about one second of webhooks under load) moves all
-- of it into the index before it may commit, and the webhooks committed
-- with it waited 40-85 ms for that, where the others took a few; written
-- as they come, the same work is spread evenly over every write.
DO $$
BEGIN
    IF to_regclass('updates_search_text') IS NOT NULL THEN
        ALTER INDEX updates_search_text SET (gin_pending_list_limit = 256);
        PERFORM gin_clean_pending_list('updates_search_text');
    END IF;
END
$$;
