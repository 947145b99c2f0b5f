DROP TABLE update_events;
DROP TABLE updates;
