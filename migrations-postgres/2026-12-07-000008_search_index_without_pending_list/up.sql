-- The search index keeps a small list of pending entries (256 kB instead of
-- GIN's 4 MB default). The write that finds the list full moves all of it
-- into the index before it may commit: with 4 MB (about one second of
-- webhooks under load) the webhooks committed with it waited 40-85 ms for
-- that, where the others took a few. A list a sixteenth the size is flushed
-- more often and each flush is shorter. Without the list
-- (`fastupdate = off`) the spikes went, but every row's trigrams were
-- inserted one by one and webhook throughput halved.
DO $$
BEGIN
    IF to_regclass('updates_search_text') IS NOT NULL THEN
        ALTER INDEX updates_search_text SET (gin_pending_list_limit = 256);
        PERFORM gin_clean_pending_list('updates_search_text');
    END IF;
END
$$;
