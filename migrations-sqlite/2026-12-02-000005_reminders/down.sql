DROP TABLE reminder_runs;
