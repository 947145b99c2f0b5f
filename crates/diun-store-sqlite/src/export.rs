//! [`Store::export`](diun_core::Store::export) and
//! [`Store::import`](diun_core::Store::import) on SQLite.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diun_core::export::{
    refuse_unless_empty, truncate_to_micros, AssignmentRecord, Counts, EventRecord, ExportedRules, ImportReport,
    ImportedRules, ImportedUpdates, MuteRuleRecord, Record, TagRecord, UpdateRecord,
};
use diun_core::{search_text, Change, StoreError, StoreResult, TagName, UpdateEvent};

use crate::errors::from_diesel;
use crate::models::{db_time, metadata_json, utc, EventRow, MuteRuleRow, TagRow, UpdateRow};
use crate::schema::{image_tags, mute_rules, tags, update_events, updates};
use crate::store::SqliteStore;

/// Updates read at once (with their events).
const CHUNK: i64 = 500;

pub(crate) fn export(store: &SqliteStore, sink: &mut dyn FnMut(Record) -> StoreResult<()>) -> StoreResult<Counts> {
    store.read(|conn| {
        let mut counts = Counts::default();
        let mut give = |record: Record| {
            counts.add(&record);
            sink(record)
        };
        let rows: Vec<TagRow> =
            tags::table.order(tags::id).select(TagRow::as_select()).load(conn).map_err(from_diesel)?;
        let mut names = HashMap::new();
        for row in rows {
            names.insert(row.id, row.name.clone());
            give(Record::Tag(TagRecord { name: row.name, created_at: truncate_to_micros(utc(row.created_at)) }))?;
        }
        let mut assignments: Vec<(String, i64)> =
            image_tags::table.select((image_tags::image, image_tags::tag_id)).load(conn).map_err(from_diesel)?;
        // By byte order, as every backend sorts alike.
        assignments.sort();
        for (image, tag_id) in assignments {
            let tag = names.get(&tag_id).cloned().ok_or_else(|| StoreError::NotFound(format!("tag {tag_id}")))?;
            give(Record::Assignment(AssignmentRecord { image, tag }))?;
        }
        // Oldest first, numbered in that order: an import makes them in it, so
        // that the oldest matching rule is the same rule on the other side.
        let mut rules = ExportedRules::default();
        for rule in load_rules(conn)? {
            give(Record::MuteRule(rules.rule(&rule)))?;
        }
        // In id order: an import writes in stream order, so ids keep that order on the other side.
        let mut after = 0;
        loop {
            let rows: Vec<UpdateRow> = updates::table
                .filter(updates::id.gt(after))
                .order(updates::id)
                .limit(CHUNK)
                .select(UpdateRow::as_select())
                .load(conn)
                .map_err(from_diesel)?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
            let events: Vec<EventRow> = update_events::table
                .filter(update_events::update_id.eq_any(&ids))
                .order((update_events::update_id, update_events::id))
                .select(EventRow::as_select())
                .load(conn)
                .map_err(from_diesel)?;
            let mut events = events.into_iter().peekable();
            for row in rows {
                let update = row.into_update(None)?;
                give(Record::Update(rules.update(&update)?))?;
                while let Some(event) = events.next_if(|event| event.update_id == update.id) {
                    give(Record::Event(EventRecord::from_event(&update, &UpdateEvent::try_from(event)?)))?;
                }
            }
        }
        Ok(counts)
    })
}

#[derive(Insertable)]
#[diesel(table_name = updates)]
struct NewUpdate<'a> {
    hostname: &'a str,
    image: &'a str,
    status: &'a str,
    provider: &'a str,
    hub_link: &'a str,
    mime_type: &'a str,
    digest: &'a str,
    created: Option<NaiveDateTime>,
    platform: &'a str,
    diun_version: &'a str,
    metadata: String,
    first_seen_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    acknowledged_at: Option<NaiveDateTime>,
    event_count: i64,
    search_text: String,
    seen_revision: i64,
    muted_by: Option<i64>,
    snoozed_until: Option<NaiveDateTime>,
    pending_since: NaiveDateTime,
}

/// Events written in one statement, at most (8 values each, well below SQLite's 32,766).
const EVENT_BATCH: usize = 1000;

#[derive(Insertable)]
#[diesel(table_name = update_events)]
struct NewEvent {
    update_id: i64,
    received_at: NaiveDateTime,
    status: &'static str,
    digest: String,
    created: Option<NaiveDateTime>,
    diun_version: String,
    metadata: String,
    revision: i64,
}

pub(crate) fn import(
    store: &SqliteStore,
    records: &mut dyn Iterator<Item = StoreResult<Record>>,
    merge: bool,
) -> StoreResult<ImportReport> {
    store.write(|conn, tx| {
        let existing_rules = load_rules(conn)?;
        if !merge {
            let count = |rows: i64| rows as u64;
            refuse_unless_empty(Counts {
                updates: count(updates::table.count().get_result(conn).map_err(from_diesel)?),
                tags: count(tags::table.count().get_result(conn).map_err(from_diesel)?),
                assignments: count(image_tags::table.count().get_result(conn).map_err(from_diesel)?),
                mute_rules: existing_rules.len() as u64,
                events: 0,
            })?;
        }
        let mut rules = ImportedRules::new(&existing_rules);
        let revision = tx.revision(conn)?;
        let mut report = ImportReport::default();
        let mut tag_ids: HashMap<String, i64> =
            tags::table.select((tags::name_key, tags::id)).load(conn).map_err(from_diesel)?.into_iter().collect();
        let mut update_ids = ImportedUpdates::default();
        // Events are written together: one statement for many.
        let mut events: Vec<NewEvent> = Vec::new();
        for record in records {
            let record = record?;
            if !matches!(record, Record::Event(_)) && !events.is_empty() {
                write_events(conn, &mut events)?;
            }
            match &record {
                Record::Tag(tag) => {
                    let key = TagName::parse(&tag.name)?.key();
                    if tag_ids.contains_key(&key) {
                        report.skipped.add(&record);
                        continue;
                    }
                    let id = diesel::insert_into(tags::table)
                        .values((
                            tags::name.eq(&tag.name),
                            tags::name_key.eq(&key),
                            tags::created_at.eq(db_time(tag.created_at)),
                        ))
                        .returning(tags::id)
                        .get_result(conn)
                        .map_err(from_diesel)?;
                    tag_ids.insert(key, id);
                }
                Record::Assignment(assignment) => {
                    let key = TagName::parse(&assignment.tag)?.key();
                    let tag_id = *tag_ids.get(&key).ok_or_else(|| {
                        StoreError::Invalid(format!("the tag {:?} is not in the stream", assignment.tag))
                    })?;
                    let inserted = diesel::insert_into(image_tags::table)
                        .values((image_tags::image.eq(&assignment.image), image_tags::tag_id.eq(tag_id)))
                        .on_conflict(image_tags::image)
                        .do_nothing()
                        .execute(conn)
                        .map_err(from_diesel)?;
                    if inserted == 0 {
                        report.skipped.add(&record);
                        continue;
                    }
                }
                Record::MuteRule(rule) => {
                    if let Some(id) = rules.existing(rule) {
                        rules.insert(rule, id);
                        report.skipped.add(&record);
                        continue;
                    }
                    let id = insert_rule(conn, rule)?;
                    rules.insert(rule, id);
                }
                Record::Update(update) => {
                    let muted_by = rules.muted_by(update)?;
                    if merge {
                        let exists: bool = diesel::select(diesel::dsl::exists(
                            updates::table
                                .filter(updates::hostname.eq(&update.hostname))
                                .filter(updates::image.eq(&update.image)),
                        ))
                        .get_result(conn)
                        .map_err(from_diesel)?;
                        if exists {
                            update_ids.kept(update);
                            report.skipped.add(&record);
                            continue;
                        }
                    }
                    let id = diesel::insert_into(updates::table)
                        .values(new_update(update, revision, muted_by))
                        .returning(updates::id)
                        .get_result(conn)
                        .map_err(from_diesel)?;
                    update_ids.written(update, id);
                }
                Record::Event(event) => {
                    let Some(update_id) = update_ids.of_event(event)? else {
                        report.skipped.add(&record);
                        continue;
                    };
                    events.push(NewEvent {
                        update_id,
                        received_at: db_time(event.received_at),
                        status: event.status.as_str(),
                        digest: event.digest.clone(),
                        created: event.created.map(db_time),
                        diun_version: event.diun_version.clone(),
                        metadata: metadata_json(&event.metadata),
                        revision,
                    });
                    if events.len() >= EVENT_BATCH {
                        write_events(conn, &mut events)?;
                    }
                }
            }
            report.written.add(&record);
        }
        write_events(conn, &mut events)?;
        if report.written.total() > 0 {
            tx.push(Change::Resync);
        }
        Ok(report)
    })
}

/// Writes the events gathered, in their order, and forgets them.
fn write_events(conn: &mut SqliteConnection, events: &mut Vec<NewEvent>) -> StoreResult<()> {
    if !events.is_empty() {
        diesel::insert_into(update_events::table).values(&*events).execute(conn).map_err(from_diesel)?;
        events.clear();
    }
    Ok(())
}

/// Every mute rule, oldest first (its count of held updates left at 0).
fn load_rules(conn: &mut SqliteConnection) -> StoreResult<Vec<diun_core::MuteRule>> {
    let rows: Vec<MuteRuleRow> =
        mute_rules::table.order(mute_rules::id).select(MuteRuleRow::as_select()).load(conn).map_err(from_diesel)?;
    rows.into_iter().map(|row| row.into_rule(0)).collect()
}

/// Makes `rule` as given, muting nothing: the stream says which updates it mutes.
fn insert_rule(conn: &mut SqliteConnection, rule: &MuteRuleRecord) -> StoreResult<i64> {
    diesel::insert_into(mute_rules::table)
        .values((
            mute_rules::pattern.eq(&rule.pattern),
            mute_rules::hostname.eq(rule.hostname.as_deref()),
            mute_rules::status.eq(rule.status.map(|status| status.as_str())),
            mute_rules::comment.eq(&rule.comment),
            mute_rules::created_at.eq(db_time(rule.created_at)),
        ))
        .returning(mute_rules::id)
        .get_result(conn)
        .map_err(from_diesel)
}

fn new_update(update: &UpdateRecord, revision: i64, muted_by: Option<i64>) -> NewUpdate<'_> {
    NewUpdate {
        hostname: &update.hostname,
        image: &update.image,
        status: update.status.as_str(),
        provider: &update.provider,
        hub_link: &update.hub_link,
        mime_type: &update.mime_type,
        digest: &update.digest,
        created: update.created.map(db_time),
        platform: &update.platform,
        diun_version: &update.diun_version,
        metadata: metadata_json(&update.metadata),
        first_seen_at: db_time(update.first_seen_at),
        last_seen_at: db_time(update.last_seen_at),
        acknowledged_at: update.acknowledged_at.map(db_time),
        event_count: update.event_count,
        search_text: search_text(&update.image, &update.hostname, &update.metadata),
        seen_revision: revision,
        muted_by,
        snoozed_until: update.snoozed_until.map(db_time),
        pending_since: db_time(update.pending_since),
    }
}
