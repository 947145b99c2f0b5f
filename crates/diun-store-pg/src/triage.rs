//! Triage on PostgreSQL: snoozes, mute rules and the grouping by image.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use diesel::dsl::{case_when, count, max, min, sql};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text, Timestamptz};
use diun_core::{
    assemble_image_page, AckSelector, Change, ImageCounts, ImageHostRow, ImagePage, ImagePageRequest, MuteRule,
    NewMuteRule, StoreResult, TagFilter, TagRef, UpdateFilter, UpdateState, UpdateStatus,
};

use crate::errors::from_diesel;
use crate::models::{compile_rules, MuteRuleRow};
use crate::schema::{image_tags, mute_rules, tags, updates};
use crate::store::{
    contains_pattern, counts_of, filter_storable, filtered, not_found, pending_now, plan_for_the_pattern, selection,
    state_counts, storable, CountColumns, PgStore, Tx,
};

/// Announces `ids` (sorted) with `make`, when there are any; returns how many.
fn announce(changes: &mut Tx, mut ids: Vec<i64>, make: impl FnOnce(Vec<i64>) -> Change) -> u64 {
    ids.sort_unstable();
    let count = ids.len() as u64;
    if !ids.is_empty() {
        changes.push(make(ids));
    }
    count
}

pub(crate) fn snooze(store: &PgStore, selector: &AckSelector, until: DateTime<Utc>) -> StoreResult<u64> {
    store.write(|conn, changes| {
        let Some(targets) = selection(conn, selector)? else { return Ok(0) };
        // An update snoozed until exactly then already is what was asked.
        let targets = targets.filter(updates::snoozed_until.is_null().or(updates::snoozed_until.ne(until)));
        let changed: Vec<i64> = diesel::update(updates::table.filter(updates::id.eq_any(targets.select(updates::id))))
            .set(updates::snoozed_until.eq(until))
            .returning(updates::id)
            .load(conn)
            .map_err(from_diesel)?;
        Ok(announce(changes, changed, |ids| Change::Snoozed { ids, until }))
    })
}

pub(crate) fn unsnooze(store: &PgStore, ids: &[i64]) -> StoreResult<u64> {
    store.write(|conn, changes| {
        let changed: Vec<i64> =
            diesel::update(updates::table.filter(updates::id.eq_any(ids)).filter(updates::snoozed_until.is_not_null()))
                .set(updates::snoozed_until.eq(None::<DateTime<Utc>>))
                .returning(updates::id)
                .load(conn)
                .map_err(from_diesel)?;
        Ok(announce(changes, changed, |ids| Change::Unsnoozed { ids }))
    })
}

pub(crate) fn wake_snoozed(store: &PgStore, now: DateTime<Utc>) -> StoreResult<u64> {
    store.write(|conn, changes| {
        let woken: Vec<i64> = diesel::update(updates::table.filter(updates::snoozed_until.le(now)))
            .set(updates::snoozed_until.eq(None::<DateTime<Utc>>))
            .returning(updates::id)
            .load(conn)
            .map_err(from_diesel)?;
        Ok(announce(changes, woken, |ids| Change::Unsnoozed { ids }))
    })
}

/// How many updates each rule keeps muted (acknowledged ones are not held).
fn held_counts(conn: &mut PgConnection) -> StoreResult<HashMap<i64, i64>> {
    let rows: Vec<(Option<i64>, i64)> = updates::table
        .filter(updates::muted_by.is_not_null())
        .filter(updates::acknowledged_at.is_null())
        .group_by(updates::muted_by)
        .select((updates::muted_by, count(updates::id)))
        .load(conn)
        .map_err(from_diesel)?;
    Ok(rows.into_iter().filter_map(|(rule, held)| Some((rule?, held))).collect())
}

pub(crate) fn list_mute_rules(store: &PgStore) -> StoreResult<Vec<MuteRule>> {
    store.read(|conn| {
        let rows: Vec<MuteRuleRow> = mute_rules::table
            .order(mute_rules::id.asc())
            .select(MuteRuleRow::as_select())
            .load(conn)
            .map_err(from_diesel)?;
        let held = held_counts(conn)?;
        rows.into_iter()
            .map(|row| {
                let h = held.get(&row.id).copied().unwrap_or(0);
                row.into_rule(h)
            })
            .collect()
    })
}

/// One group as read: image, latest last seen, earliest first seen, counts.
type GroupRow = (String, Option<DateTime<Utc>>, Option<DateTime<Utc>>, CountColumns);

/// An update a rule may cover: id, host, image, status.
type Candidate = (i64, String, String, String);

fn covered(rule: &MuteRule, candidates: Vec<Candidate>) -> Vec<i64> {
    candidates
        .into_iter()
        .filter(|(_, host, image, status)| {
            UpdateStatus::parse(status).is_some_and(|status| rule.covers(host, image, status))
        })
        .map(|(id, ..)| id)
        .collect()
}

pub(crate) fn create_mute_rule(store: &PgStore, rule: &NewMuteRule, at: DateTime<Utc>) -> StoreResult<MuteRule> {
    store.write(|conn, changes| {
        // The revision first, as a notification takes it before it reads the
        // rules: one of the two waits for the other, so either the
        // notification sees this rule or the scan below sees its update.
        changes.revision(conn)?;
        let row: MuteRuleRow = diesel::insert_into(mute_rules::table)
            .values((
                mute_rules::pattern.eq(rule.pattern().as_str()),
                mute_rules::hostname.eq(rule.hostname()),
                mute_rules::status.eq(rule.status().map(UpdateStatus::as_str)),
                mute_rules::comment.eq(rule.comment()),
                mute_rules::created_at.eq(at),
            ))
            .returning(MuteRuleRow::as_returning())
            .get_result(conn)
            .map_err(from_diesel)?;
        let created = row.into_rule(0)?;
        changes.push(Change::MuteRulesChanged);
        // The updates it may cover, narrowed by what SQL can tell (the
        // pattern's literal start, host, status); the glob decides in Rust.
        let mut candidates = updates::table
            .filter(updates::acknowledged_at.is_null())
            .filter(updates::muted_by.is_null())
            .select((updates::id, updates::hostname, updates::image, updates::status))
            .into_boxed();
        let prefix = rule.pattern().literal_prefix();
        let prefix = prefix.as_str();
        if !prefix.is_empty() {
            // A superset (the glob may say less), read through the trigram index when there is one.
            let pattern = contains_pattern(prefix);
            candidates = candidates.filter(updates::image.like(pattern[1..].to_owned()).escape('\\'));
        }
        if let Some(host) = rule.hostname() {
            candidates = candidates.filter(updates::hostname.eq(host.to_owned()));
        }
        if let Some(status) = rule.status() {
            candidates = candidates.filter(updates::status.eq(status.as_str()));
        }
        let candidates: Vec<Candidate> = candidates.load(conn).map_err(from_diesel)?;
        let muted = covered(&created, candidates);
        diesel::update(updates::table.filter(updates::id.eq_any(&muted)))
            .set(updates::muted_by.eq(created.id))
            .execute(conn)
            .map_err(from_diesel)?;
        let held = announce(changes, muted, |ids| Change::Muted { ids, rule: created.id });
        Ok(MuteRule { held, ..created })
    })
}

pub(crate) fn delete_mute_rule(store: &PgStore, id: i64) -> StoreResult<()> {
    store.write(|conn, changes| {
        // The revision first, for the reason given in `create_mute_rule`.
        changes.revision(conn)?;
        // Locks the rule first: updates that a concurrent notification mutes
        // with it wait for this transaction, and then see it gone.
        let known: Option<i64> = mute_rules::table
            .filter(mute_rules::id.eq(id))
            .select(mute_rules::id)
            .for_update()
            .first(conn)
            .optional()
            .map_err(from_diesel)?;
        if known.is_none() {
            return Err(not_found("mute rule", id));
        }
        let held: Vec<Candidate> = updates::table
            .filter(updates::muted_by.eq(id))
            .select((updates::id, updates::hostname, updates::image, updates::status))
            .load(conn)
            .map_err(from_diesel)?;
        diesel::update(updates::table.filter(updates::muted_by.eq(id)))
            .set(updates::muted_by.eq(None::<i64>))
            .execute(conn)
            .map_err(from_diesel)?;
        let deleted =
            diesel::delete(mute_rules::table.filter(mute_rules::id.eq(id))).execute(conn).map_err(from_diesel)?;
        if deleted == 0 {
            return Err(not_found("mute rule", id));
        }
        changes.push(Change::MuteRulesChanged);
        // The other rules, asked afresh for each update this one held.
        let others: Vec<MuteRuleRow> =
            mute_rules::table.select(MuteRuleRow::as_select()).load(conn).map_err(from_diesel)?;
        let others = compile_rules(&others)?;
        let mut taken: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        let mut freed = Vec::new();
        for (update, host, image, status) in held {
            let rule = UpdateStatus::parse(&status).and_then(|status| others.first_match(&host, &image, status));
            match rule {
                Some(rule) => taken.entry(rule).or_default().push(update),
                None => freed.push(update),
            }
        }
        for (rule, ids) in taken {
            diesel::update(updates::table.filter(updates::id.eq_any(&ids)))
                .set(updates::muted_by.eq(rule))
                .execute(conn)
                .map_err(from_diesel)?;
            announce(changes, ids, |ids| Change::Muted { ids, rule });
        }
        announce(changes, freed, |ids| Change::Unmuted { ids });
        Ok(())
    })
}

pub(crate) fn list_images(store: &PgStore, filter: &UpdateFilter, page: &ImagePageRequest) -> StoreResult<ImagePage> {
    if !filter_storable(filter) || page.after.as_ref().is_some_and(|after| !storable(&after.image)) {
        return Ok(ImagePage { images: Vec::new(), next: None });
    }
    store.read(|conn| {
        plan_for_the_pattern(conn, filter)?;
        let latest = max(updates::last_seen_at);
        let mut groups = filtered!(
            updates::table
                .group_by(updates::image)
                .select((updates::image, latest, min(updates::first_seen_at), state_counts!()))
                .into_boxed(),
            filter
        )
        // Images in code point order (COLLATE "C"), as SQLite compares them.
        .order((latest.desc(), sql::<Text>("updates.image COLLATE \"C\"").asc()))
        .limit(i64::from(page.limit()) + 1);
        if let Some(after) = &page.after {
            let at = after.last_seen_at;
            // After the position in (latest desc, image asc) order.
            groups = groups.having(
                sql::<Bool>("MAX(updates.last_seen_at) < ")
                    .bind::<Timestamptz, _>(at)
                    .sql(" OR (MAX(updates.last_seen_at) = ")
                    .bind::<Timestamptz, _>(at)
                    .sql(" AND updates.image COLLATE \"C\" > ")
                    .bind::<Text, _>(after.image.clone())
                    .sql(")"),
            );
        }
        let groups: Vec<GroupRow> = groups.load(conn).map_err(from_diesel)?;
        let groups: Vec<ImageCounts> = groups
            .into_iter()
            .filter_map(|(image, last, first, counts)| {
                Some(ImageCounts { image, last_seen_at: last?, first_seen_at: first?, counts: counts_of(counts) })
            })
            .collect();
        let images: Vec<String> = groups.iter().map(|group| group.image.clone()).collect();
        let rows: Vec<(String, String, String, DateTime<Utc>, i64)> = filtered!(
            updates::table
                .select((updates::image, updates::hostname, updates::digest, updates::last_seen_at, updates::id))
                .into_boxed(),
            filter
        )
        .filter(updates::image.eq_any(images.clone()))
        .load(conn)
        .map_err(from_diesel)?;
        let rows = rows
            .into_iter()
            .map(|(image, hostname, digest, last_seen_at, id)| ImageHostRow {
                image,
                hostname,
                digest,
                last_seen_at,
                id,
            })
            .collect();
        let tags: HashMap<String, TagRef> = image_tags::table
            .inner_join(tags::table)
            .filter(image_tags::image.eq_any(images))
            .select((image_tags::image, tags::id, tags::name))
            .load::<(String, i64, String)>(conn)
            .map_err(from_diesel)?
            .into_iter()
            .map(|(image, id, name)| (image, TagRef { id, name }))
            .collect();
        Ok(assemble_image_page(groups, rows, &tags, page))
    })
}
