DROP TRIGGER update_counts_tag_update;
DROP TRIGGER update_counts_tag_delete;
DROP TRIGGER update_counts_tag_insert;
DROP TRIGGER update_counts_update;
DROP TRIGGER update_counts_delete;
DROP TRIGGER update_counts_insert;
DROP TABLE update_counts;
