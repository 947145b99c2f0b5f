-- Reminder slots claimed: the replica whose insert of a slot's row succeeds
-- sends that slot's digest; the others see the row and send nothing. Old
-- rows are removed by the store as it claims new ones.
CREATE TABLE reminder_runs (
    slot_key TEXT NOT NULL,
    slot_time TIMESTAMP NOT NULL,
    claimed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (slot_key, slot_time)
);
