//! [`Store::export`](diun_core::Store::export) and
//! [`Store::import`](diun_core::Store::import) in memory, record for record
//! as the database-backed stores do them.

use std::collections::VecDeque;

use diun_core::export::{
    refuse_unless_empty, AssignmentRecord, Counts, EventRecord, ExportedRules, ImportReport, ImportedRules,
    ImportedUpdates, Record, TagRecord,
};
use diun_core::{search_text, MuteRule, StoreError, StoreResult, TagName, UpdateEvent};

use super::{Row, State, TagRow};

pub(super) fn export(state: &State, sink: &mut dyn FnMut(Record) -> StoreResult<()>) -> StoreResult<Counts> {
    let mut counts = Counts::default();
    let mut give = |record: Record| {
        counts.add(&record);
        sink(record)
    };
    for tag in state.tags.values() {
        give(Record::Tag(TagRecord { name: tag.name.clone(), created_at: tag.created_at }))?;
    }
    let mut assignments: Vec<(&String, &i64)> = state.assignments.iter().collect();
    assignments.sort();
    for (image, tag_id) in assignments {
        let tag = state.tags.get(tag_id).ok_or_else(|| StoreError::NotFound(format!("tag {tag_id}")))?;
        give(Record::Assignment(AssignmentRecord { image: image.clone(), tag: tag.name.clone() }))?;
    }
    let mut rules = ExportedRules::default();
    for rule in state.mute_rules.values() {
        give(Record::MuteRule(rules.rule(rule)))?;
    }
    for row in state.updates.values() {
        give(Record::Update(rules.update(&row.update)?))?;
        for (_, event) in &row.events {
            give(Record::Event(EventRecord::from_event(&row.update, event)))?;
        }
    }
    Ok(counts)
}

/// Writes `records` into `state`, which the caller throws away on an error:
/// all or nothing. Rows are written at the revision `revision`.
pub(super) fn import(
    state: &mut State,
    records: &mut dyn Iterator<Item = StoreResult<Record>>,
    merge: bool,
    revision: i64,
) -> StoreResult<ImportReport> {
    if !merge {
        refuse_unless_empty(Counts {
            updates: state.updates.len() as u64,
            tags: state.tags.len() as u64,
            assignments: state.assignments.len() as u64,
            mute_rules: state.mute_rules.len() as u64,
            events: 0,
        })?;
    }
    let existing: Vec<MuteRule> = state.mute_rules.values().cloned().collect();
    let mut rules = ImportedRules::new(&existing);
    let mut report = ImportReport::default();
    let mut update_ids = ImportedUpdates::default();
    for record in records {
        let record = record?;
        match &record {
            Record::Tag(tag) => {
                let key = tag_key(&tag.name)?;
                if state.tags.values().any(|row| row.key == key) {
                    report.skipped.add(&record);
                    continue;
                }
                state.last_tag_id += 1;
                state
                    .tags
                    .insert(state.last_tag_id, TagRow { name: tag.name.clone(), key, created_at: tag.created_at });
            }
            Record::Assignment(assignment) => {
                let key = tag_key(&assignment.tag)?;
                let tag_id =
                    state.tags.iter().find(|(_, row)| row.key == key).map(|(id, _)| *id).ok_or_else(|| {
                        StoreError::Invalid(format!("the tag {:?} is not in the stream", assignment.tag))
                    })?;
                if state.assignments.contains_key(&assignment.image) {
                    report.skipped.add(&record);
                    continue;
                }
                state.assignments.insert(assignment.image.clone(), tag_id);
            }
            Record::MuteRule(rule) => {
                if let Some(id) = rules.existing(rule) {
                    rules.insert(rule, id);
                    report.skipped.add(&record);
                    continue;
                }
                state.last_rule_id += 1;
                let id = state.last_rule_id;
                state.mute_rules.insert(
                    id,
                    MuteRule {
                        id,
                        pattern: rule.pattern.clone(),
                        hostname: rule.hostname.clone(),
                        status: rule.status,
                        comment: rule.comment.clone(),
                        created_at: rule.created_at,
                        held: 0,
                    },
                );
                rules.insert(rule, id);
            }
            Record::Update(update) => {
                let muted_by = rules.muted_by(update)?;
                let key = (update.hostname.clone(), update.image.clone());
                if state.by_identity.contains_key(&key) {
                    if !merge {
                        return Err(StoreError::Invalid(format!(
                            "the update of {} on {} is given twice",
                            update.image, update.hostname
                        )));
                    }
                    update_ids.kept(update);
                    report.skipped.add(&record);
                    continue;
                }
                state.last_update_id += 1;
                let id = state.last_update_id;
                let row = Row {
                    update: update.to_update(id, muted_by),
                    search_text: search_text(&update.image, &update.hostname, &update.metadata),
                    seen_revision: revision,
                    events: VecDeque::new(),
                };
                state.updates.insert(id, row);
                state.by_identity.insert(key, id);
                update_ids.written(update, id);
            }
            Record::Event(event) => {
                let Some(update_id) = update_ids.of_event(event)? else {
                    report.skipped.add(&record);
                    continue;
                };
                state.last_event_id += 1;
                let event = UpdateEvent {
                    id: state.last_event_id,
                    update_id,
                    received_at: event.received_at,
                    status: event.status,
                    digest: event.digest.clone(),
                    created: event.created,
                    diun_version: event.diun_version.clone(),
                    metadata: event.metadata.clone(),
                };
                state.updates.get_mut(&update_id).expect("written above").events.push_back((revision, event));
            }
        }
        report.written.add(&record);
    }
    Ok(report)
}

/// The case-folded key of a tag name given in a stream.
fn tag_key(name: &str) -> StoreResult<String> {
    TagName::parse(name).map(|name| name.key()).map_err(|err| StoreError::Invalid(err.to_string()))
}
