DROP TRIGGER mute_rules_changed ON mute_rules;
DROP FUNCTION count_mute_rule_change();
ALTER TABLE data_revision DROP COLUMN rules_revision;
