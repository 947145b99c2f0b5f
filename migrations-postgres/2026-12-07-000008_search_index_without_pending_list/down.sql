DO $$
BEGIN
    IF to_regclass('updates_search_text') IS NOT NULL THEN
        ALTER INDEX updates_search_text RESET (gin_pending_list_limit);
    END IF;
END
$$;
