//! A [`Store`] that keeps everything in memory: for tests, demos and as the
//! model that the model-based test compares real backends with.
//!
//! It passes the whole conformance suite (`tests/memory.rs`), so it behaves
//! as the database-backed stores do, with two differences that follow from
//! keeping no database: its data is gone when the last clone is dropped.
//! Times are cut to microseconds on the way in, as every store does.
//!
//! Clones share one store, as two stores opened on one database would: a
//! change made through one is seen, and announced on the change feed, by all.
//!
//! ```
//! use chrono::Utc;
//! use diun_core::{Notification, Store, StoreOptions, UpdateFilter};
//! use diun_store_tests::memory::MemoryStore;
//!
//! let store = MemoryStore::new(&StoreOptions::default());
//! let body = br#"{"hostname": "nas", "image": "nginx:1.27", "digest": "sha256:a1"}"#;
//! let update = store.record_notification(&Notification::from_json(body).unwrap(), Utc::now()).unwrap();
//! assert!(update.is_pending());
//! assert_eq!(store.summary(&UpdateFilter::default()).unwrap().pending, 1);
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use diun_core::export::{truncate_to_micros, Counts, ImportReport, Record};
use diun_core::{
    assemble_image_page, assemble_page, search_text, AckSelector, Change, ChangeBroadcaster, ChangeSubscription,
    ImageCounts, ImageHostRow, ImagePage, ImagePageRequest, MuteRule, MuteRules, NewMuteRule, Notification,
    PageRequest, StateCounts, Store, StoreError, StoreOptions, StoreResult, StoreStats, Summary, Tag, TagFilter,
    TagName, TagRef, UnackSelector, Update, UpdateEvent, UpdateFilter, UpdatePage,
};

mod export;

/// An in-memory [`Store`]; clones share the same data and change feed.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    history_limit: usize,
    state: Mutex<State>,
    feed: ChangeBroadcaster,
}

/// Everything the store holds. One lock guards it all, so every operation
/// is atomic and changes are announced in the order they were made.
#[derive(Debug, Default, Clone)]
struct State {
    revision: i64,
    last_update_id: i64,
    last_event_id: i64,
    last_tag_id: i64,
    /// By id; `tag` is left `None` here and filled in on the way out.
    updates: BTreeMap<i64, Row>,
    /// `(hostname, image)` → update id.
    by_identity: HashMap<(String, String), i64>,
    tags: BTreeMap<i64, TagRow>,
    /// Image reference → tag id.
    assignments: HashMap<String, i64>,
    /// Claimed reminder slots: schedule name and slot time.
    reminder_claims: BTreeSet<(String, DateTime<Utc>)>,
    last_rule_id: i64,
    /// By id; `held` is left 0 here and counted on the way out.
    mute_rules: BTreeMap<i64, MuteRule>,
}

#[derive(Debug, Clone)]
struct Row {
    update: Update,
    search_text: String,
    /// The revision of the latest notification.
    seen_revision: i64,
    /// Oldest first, with the revision that recorded each.
    events: VecDeque<(i64, UpdateEvent)>,
}

#[derive(Debug, Clone)]
struct TagRow {
    name: String,
    key: String,
    created_at: DateTime<Utc>,
}

impl MemoryStore {
    /// An empty store honouring `options.history_limit` (the pool settings
    /// mean nothing here).
    pub fn new(options: &StoreOptions) -> Self {
        MemoryStore {
            shared: Arc::new(Shared {
                history_limit: options.history_limit as usize,
                state: Mutex::new(State::default()),
                feed: ChangeBroadcaster::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every operation checks before it writes, so a panic cannot leave half a change.
        self.shared.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a write: whatever it lists as changed advances the revision and
    /// goes out on the feed, under the lock so that the feed keeps commit order.
    fn write<T>(&self, work: impl FnOnce(&mut State, &mut Vec<Change>) -> StoreResult<T>) -> StoreResult<T> {
        let mut state = self.lock();
        let mut changes = Vec::new();
        let result = work(&mut state, &mut changes)?;
        if !changes.is_empty() {
            state.revision += 1;
            self.shared.feed.send_all(&changes);
        }
        Ok(result)
    }
}

fn not_found(what: &str, id: i64) -> StoreError {
    StoreError::NotFound(format!("{what} {id}"))
}

impl State {
    fn tag_ref(&self, image: &str) -> Option<TagRef> {
        let id = *self.assignments.get(image)?;
        self.tags.get(&id).map(|tag| TagRef { id, name: tag.name.clone() })
    }

    /// An update as callers see it: with its image's tag.
    fn output(&self, row: &Row) -> Update {
        Update { tag: self.tag_ref(&row.update.image), ..row.update.clone() }
    }

    fn get(&self, id: i64) -> StoreResult<Update> {
        self.updates.get(&id).map(|row| self.output(row)).ok_or_else(|| not_found("update", id))
    }

    fn matches(&self, row: &Row, filter: &UpdateFilter) -> bool {
        let update = &row.update;
        if filter.state.is_some_and(|state| state != update.state()) {
            return false;
        }
        if filter
            .pending_before
            .is_some_and(|before| !(update.is_pending() && update.pending_since < truncate_to_micros(before)))
        {
            return false;
        }
        if filter.image.as_ref().is_some_and(|image| *image != update.image) {
            return false;
        }
        let tag = self.assignments.get(&update.image).filter(|id| self.tags.contains_key(id));
        match filter.tag {
            Some(TagFilter::Id(id)) if tag != Some(&id) => return false,
            Some(TagFilter::Untagged) if tag.is_some() => return false,
            _ => {}
        }
        if filter.host.as_ref().is_some_and(|host| *host != update.hostname) {
            return false;
        }
        filter.search_terms().iter().all(|term| row.search_text.contains(term.as_str()))
    }

    fn matching<'a>(&'a self, filter: &'a UpdateFilter) -> impl Iterator<Item = &'a Row> + 'a {
        self.updates.values().filter(move |row| self.matches(row, filter))
    }

    fn rules(&self) -> MuteRules {
        MuteRules::new(
            self.mute_rules
                .values()
                .map(|rule| (rule.id, rule.pattern.as_str(), rule.hostname.as_deref(), rule.status)),
        )
    }

    fn rule_output(&self, rule: &MuteRule) -> MuteRule {
        let held = self
            .updates
            .values()
            .filter(|row| row.update.muted_by == Some(rule.id) && row.update.acknowledged_at.is_none())
            .count() as u64;
        MuteRule { held, ..rule.clone() }
    }

    /// The updates a selector covers that are not acknowledged yet.
    fn selection(&self, selector: &AckSelector) -> StoreResult<Vec<i64>> {
        let filter = match selector {
            AckSelector::Ids(ids) => {
                return Ok(ids
                    .iter()
                    .copied()
                    .filter(|id| self.updates.get(id).is_some_and(|row| row.update.acknowledged_at.is_none()))
                    .collect())
            }
            AckSelector::Tag(id) => {
                self.tag_exists(*id)?;
                UpdateFilter { tag: Some(TagFilter::Id(*id)), ..UpdateFilter::default() }
            }
            AckSelector::All => UpdateFilter::default(),
            AckSelector::Filter(filter) => filter.for_bulk_change(),
            AckSelector::Image(image) => UpdateFilter { image: Some(image.clone()), ..UpdateFilter::default() },
        };
        Ok(self.matching(&filter).filter(|row| row.update.acknowledged_at.is_none()).map(|row| row.update.id).collect())
    }

    fn tag_exists(&self, id: i64) -> StoreResult<()> {
        if self.tags.contains_key(&id) {
            Ok(())
        } else {
            Err(not_found("tag", id))
        }
    }

    fn image_count(&self, tag_id: i64) -> i64 {
        self.assignments.values().filter(|id| **id == tag_id).count() as i64
    }

    fn tag(&self, id: i64) -> Tag {
        let row = &self.tags[&id];
        Tag { id, name: row.name.clone(), created_at: row.created_at, image_count: self.image_count(id) }
    }

    fn name_taken(&self, name: &TagName, except: Option<i64>) -> StoreResult<()> {
        let key = name.key();
        if self.tags.iter().any(|(id, tag)| Some(*id) != except && tag.key == key) {
            Err(StoreError::Conflict(format!("a tag named \"{name}\" already exists")))
        } else {
            Ok(())
        }
    }

    /// Records one notification at the revision `revision`; returns the update's id.
    fn record(
        &mut self,
        n: &Notification,
        at: DateTime<Utc>,
        revision: i64,
        history_limit: usize,
        changes: &mut Vec<Change>,
    ) -> i64 {
        let at = truncate_to_micros(at);
        let identity = (n.hostname().to_owned(), n.image().to_owned());
        let existing = self.by_identity.get(&identity).copied();
        let id = existing.unwrap_or_else(|| {
            self.last_update_id += 1;
            self.last_update_id
        });
        let muted_by = self.rules().first_match(n.hostname(), n.image(), n.status());
        let fresh = |first_seen_at, event_count, acknowledged_at, pending_since| Update {
            id,
            hostname: n.hostname().to_owned(),
            image: n.image().to_owned(),
            status: n.status(),
            provider: n.provider().to_owned(),
            hub_link: n.hub_link().to_owned(),
            mime_type: n.mime_type().to_owned(),
            digest: n.digest().to_owned(),
            created: n.created().map(truncate_to_micros),
            platform: n.platform().to_owned(),
            diun_version: n.diun_version().to_owned(),
            metadata: n.metadata().clone(),
            first_seen_at,
            last_seen_at: at,
            acknowledged_at,
            event_count,
            tag: None,
            snoozed_until: None,
            muted_by,
            pending_since,
        };
        let row = match existing.and_then(|id| self.updates.get_mut(&id)) {
            None => {
                self.by_identity.insert(identity, id);
                self.updates.insert(
                    id,
                    Row {
                        update: fresh(at, 1, None, at),
                        search_text: search_text(n.image(), n.hostname(), n.metadata()),
                        seen_revision: revision,
                        events: VecDeque::new(),
                    },
                );
                changes.push(Change::UpdateCreated { id });
                if let Some(rule) = muted_by {
                    changes.push(Change::Muted { ids: vec![id], rule });
                }
                self.updates.get_mut(&id).expect("just inserted")
            }
            Some(row) => {
                let before = row.update.clone();
                let mut followups = Vec::new();
                if before.digest == n.digest() {
                    // Same image as before: a re-sent notification keeps the acknowledgment, snooze and mute.
                    row.update.last_seen_at = at;
                    row.update.event_count += 1;
                } else {
                    // Back to pending: since now when it was acknowledged.
                    let since = if before.acknowledged_at.is_some() { at } else { before.pending_since };
                    row.update = fresh(before.first_seen_at, before.event_count + 1, None, since);
                    row.search_text = search_text(n.image(), n.hostname(), n.metadata());
                    if before.snoozed_until.is_some() {
                        followups.push(Change::Unsnoozed { ids: vec![id] });
                    }
                    match (before.muted_by, muted_by) {
                        (old, Some(rule)) if old != Some(rule) => followups.push(Change::Muted { ids: vec![id], rule }),
                        (Some(_), None) => followups.push(Change::Unmuted { ids: vec![id] }),
                        _ => {}
                    }
                }
                row.seen_revision = revision;
                changes.push(Change::UpdateChanged { id });
                changes.extend(followups);
                row
            }
        };
        self.last_event_id += 1;
        row.events.push_back((
            revision,
            UpdateEvent {
                id: self.last_event_id,
                update_id: id,
                received_at: at,
                status: n.status(),
                digest: n.digest().to_owned(),
                created: n.created().map(truncate_to_micros),
                diun_version: n.diun_version().to_owned(),
                metadata: n.metadata().clone(),
            },
        ));
        while row.events.len() > history_limit {
            row.events.pop_front();
        }
        id
    }

    /// Acknowledges the pending updates among `ids` at `at`; announces and counts them.
    fn acknowledge_ids(
        &mut self,
        ids: impl IntoIterator<Item = i64>,
        at: DateTime<Utc>,
        changes: &mut Vec<Change>,
    ) -> u64 {
        let at = truncate_to_micros(at);
        let mut changed: Vec<i64> = Vec::new();
        for id in ids {
            if let Some(row) = self.updates.get_mut(&id) {
                if row.update.acknowledged_at.is_none() {
                    row.update.acknowledged_at = Some(at);
                    changed.push(id);
                }
            }
        }
        announce(changes, changed, |ids| Change::UpdatesAcknowledged { ids })
    }

    fn remove(&mut self, id: i64) -> bool {
        match self.updates.remove(&id) {
            Some(row) => {
                self.by_identity.remove(&(row.update.hostname, row.update.image));
                true
            }
            None => false,
        }
    }

    /// Puts `image` under `tag_id` (or none); returns whether that changed anything.
    fn assign(&mut self, image: &str, tag_id: Option<i64>, changes: &mut Vec<Change>) -> bool {
        let before = self.assignments.get(image).copied();
        if before == tag_id {
            return false;
        }
        match tag_id {
            Some(tag_id) => self.assignments.insert(image.to_owned(), tag_id),
            None => self.assignments.remove(image),
        };
        changes.push(Change::AssignmentChanged { image: image.to_owned(), tag_id });
        true
    }
}

/// Announces a list of changed ids, if any, sorted; returns how many.
fn announce(changes: &mut Vec<Change>, mut ids: Vec<i64>, make: impl FnOnce(Vec<i64>) -> Change) -> u64 {
    ids.sort_unstable();
    ids.dedup();
    let count = ids.len() as u64;
    if !ids.is_empty() {
        changes.push(make(ids));
    }
    count
}

impl Store for MemoryStore {
    fn record_notification(&self, notification: &Notification, received_at: DateTime<Utc>) -> StoreResult<Update> {
        let history_limit = self.shared.history_limit;
        self.write(|state, changes| {
            let revision = state.revision + 1;
            let id = state.record(notification, received_at, revision, history_limit, changes);
            state.get(id)
        })
    }

    fn record_notifications(&self, batch: &[(Notification, DateTime<Utc>)]) -> StoreResult<Vec<Update>> {
        let history_limit = self.shared.history_limit;
        self.write(|state, changes| {
            let revision = state.revision + 1;
            let ids: Vec<i64> =
                batch.iter().map(|(n, at)| state.record(n, *at, revision, history_limit, changes)).collect();
            ids.into_iter().map(|id| state.get(id)).collect()
        })
    }

    fn list_updates(&self, filter: &UpdateFilter, page: &PageRequest) -> StoreResult<UpdatePage> {
        let state = self.lock();
        let as_of = page.after.map_or(state.revision, |position| position.as_of);
        let mut stable = Vec::new();
        let mut moved = Vec::new();
        for row in state.matching(filter) {
            if row.seen_revision <= as_of {
                stable.push(state.output(row));
            } else if let Some((_, then)) = row.events.iter().rev().find(|(revision, _)| *revision <= as_of) {
                // Seen again since the walk began: it goes where it stood then.
                // With no event that old it was made since, and is not part of this walk.
                moved.push((then.received_at, state.output(row)));
            }
        }
        Ok(assemble_page(stable, moved, page, as_of))
    }

    fn summary(&self, filter: &UpdateFilter) -> StoreResult<Summary> {
        let filter = filter.any_state();
        let state = self.lock();
        let mut by_tag: BTreeMap<Option<i64>, StateCounts> = BTreeMap::new();
        let mut by_host: BTreeMap<String, StateCounts> = BTreeMap::new();
        let mut oldest: Option<&Row> = None;
        for row in state.matching(&filter) {
            let update = &row.update;
            let tag = state.tag_ref(&update.image).map(|tag| tag.id);
            by_tag.entry(tag).or_default().add(update.state());
            by_host.entry(update.hostname.clone()).or_default().add(update.state());
            let key = |row: &Row| (row.update.last_seen_at, row.update.id);
            if update.is_pending() && oldest.is_none_or(|old| key(row) < key(old)) {
                oldest = Some(row);
            }
        }
        let tags = by_tag
            .into_iter()
            .map(|(id, counts)| {
                let tag = id.map(|id| (TagRef { id, name: state.tags[&id].name.clone() }, state.tags[&id].key.clone()));
                (tag, counts)
            })
            .collect();
        let hosts = by_host.into_iter().collect();
        Ok(Summary::from_counts(tags, hosts, oldest.map(|row| state.output(row))))
    }

    fn revision(&self) -> StoreResult<i64> {
        Ok(self.lock().revision)
    }

    fn get_update(&self, id: i64) -> StoreResult<Update> {
        self.lock().get(id)
    }

    fn list_events(&self, update_id: i64) -> StoreResult<Vec<UpdateEvent>> {
        let state = self.lock();
        let row = state.updates.get(&update_id).ok_or_else(|| not_found("update", update_id))?;
        Ok(row.events.iter().rev().map(|(_, event)| event.clone()).collect())
    }

    fn set_acknowledged(&self, id: i64, acknowledged: bool, at: DateTime<Utc>) -> StoreResult<Update> {
        let at = truncate_to_micros(at);
        self.write(|state, changes| {
            state.get(id)?;
            if acknowledged {
                state.acknowledge_ids([id], at, changes);
            } else {
                let row = state.updates.get_mut(&id).expect("checked above");
                if row.update.acknowledged_at.take().is_some() {
                    changes.push(Change::UpdatesUnacknowledged { ids: vec![id] });
                }
            }
            state.get(id)
        })
    }

    fn acknowledge(&self, selector: &AckSelector, at: DateTime<Utc>) -> StoreResult<u64> {
        self.write(|state, changes| {
            let ids = state.selection(selector)?;
            Ok(state.acknowledge_ids(ids, at, changes))
        })
    }

    fn unacknowledge(&self, selector: &UnackSelector) -> StoreResult<u64> {
        self.write(|state, changes| {
            let ids: Vec<i64> = match selector {
                UnackSelector::Ids(ids) => ids.clone(),
                UnackSelector::AcknowledgedAt(at) => state
                    .updates
                    .values()
                    .filter(|row| row.update.acknowledged_at == Some(*at))
                    .map(|row| row.update.id)
                    .collect(),
            };
            let mut changed = Vec::new();
            for id in ids {
                if let Some(row) = state.updates.get_mut(&id) {
                    if row.update.acknowledged_at.take().is_some() {
                        changed.push(id);
                    }
                }
            }
            Ok(announce(changes, changed, |ids| Change::UpdatesUnacknowledged { ids }))
        })
    }

    fn snooze(&self, selector: &AckSelector, until: DateTime<Utc>) -> StoreResult<u64> {
        let until = truncate_to_micros(until);
        self.write(|state, changes| {
            let mut changed = Vec::new();
            for id in state.selection(selector)? {
                let row = state.updates.get_mut(&id).expect("selected");
                if row.update.snoozed_until != Some(until) {
                    row.update.snoozed_until = Some(until);
                    changed.push(id);
                }
            }
            Ok(announce(changes, changed, |ids| Change::Snoozed { ids, until }))
        })
    }

    fn unsnooze(&self, ids: &[i64]) -> StoreResult<u64> {
        self.write(|state, changes| {
            let mut changed = Vec::new();
            for id in ids {
                if let Some(row) = state.updates.get_mut(id) {
                    if row.update.snoozed_until.take().is_some() {
                        changed.push(*id);
                    }
                }
            }
            Ok(announce(changes, changed, |ids| Change::Unsnoozed { ids }))
        })
    }

    fn wake_snoozed(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let now = truncate_to_micros(now);
        self.write(|state, changes| {
            let mut woken = Vec::new();
            for row in state.updates.values_mut() {
                if row.update.snoozed_until.is_some_and(|until| until <= now) {
                    row.update.snoozed_until = None;
                    woken.push(row.update.id);
                }
            }
            Ok(announce(changes, woken, |ids| Change::Unsnoozed { ids }))
        })
    }

    fn list_mute_rules(&self) -> StoreResult<Vec<MuteRule>> {
        let state = self.lock();
        Ok(state.mute_rules.values().map(|rule| state.rule_output(rule)).collect())
    }

    fn create_mute_rule(&self, rule: &NewMuteRule, at: DateTime<Utc>) -> StoreResult<MuteRule> {
        let at = truncate_to_micros(at);
        self.write(|state, changes| {
            state.last_rule_id += 1;
            let created = MuteRule {
                id: state.last_rule_id,
                pattern: rule.pattern().as_str().to_owned(),
                hostname: rule.hostname().map(str::to_owned),
                status: rule.status(),
                comment: rule.comment().to_owned(),
                created_at: at,
                held: 0,
            };
            changes.push(Change::MuteRulesChanged);
            let mut muted = Vec::new();
            for row in state.updates.values_mut() {
                let update = &mut row.update;
                if update.acknowledged_at.is_none()
                    && update.muted_by.is_none()
                    && created.covers(&update.hostname, &update.image, update.status)
                {
                    update.muted_by = Some(created.id);
                    muted.push(update.id);
                }
            }
            let held = announce(changes, muted, |ids| Change::Muted { ids, rule: created.id });
            state.mute_rules.insert(created.id, created.clone());
            Ok(MuteRule { held, ..created })
        })
    }

    fn delete_mute_rule(&self, id: i64) -> StoreResult<()> {
        self.write(|state, changes| {
            state.mute_rules.remove(&id).ok_or_else(|| not_found("mute rule", id))?;
            changes.push(Change::MuteRulesChanged);
            let others = state.rules();
            let mut taken: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
            let mut freed = Vec::new();
            for row in state.updates.values_mut() {
                let update = &mut row.update;
                if update.muted_by != Some(id) {
                    continue;
                }
                update.muted_by = others.first_match(&update.hostname, &update.image, update.status);
                match update.muted_by {
                    Some(rule) => taken.entry(rule).or_default().push(update.id),
                    None => freed.push(update.id),
                }
            }
            for (rule, ids) in taken {
                announce(changes, ids, |ids| Change::Muted { ids, rule });
            }
            announce(changes, freed, |ids| Change::Unmuted { ids });
            Ok(())
        })
    }

    fn list_images(&self, filter: &UpdateFilter, page: &ImagePageRequest) -> StoreResult<ImagePage> {
        let state = self.lock();
        let mut groups: HashMap<&str, ImageCounts> = HashMap::new();
        let mut rows = Vec::new();
        for row in state.matching(filter) {
            let update = &row.update;
            let group = groups.entry(update.image.as_str()).or_insert_with(|| ImageCounts {
                image: update.image.clone(),
                last_seen_at: update.last_seen_at,
                first_seen_at: update.first_seen_at,
                counts: StateCounts::default(),
            });
            group.last_seen_at = group.last_seen_at.max(update.last_seen_at);
            group.first_seen_at = group.first_seen_at.min(update.first_seen_at);
            group.counts.add(update.state());
            rows.push(ImageHostRow {
                image: update.image.clone(),
                hostname: update.hostname.clone(),
                digest: update.digest.clone(),
                last_seen_at: update.last_seen_at,
                id: update.id,
            });
        }
        let mut groups: Vec<ImageCounts> = groups
            .into_values()
            .filter(|group| {
                page.after.as_ref().is_none_or(|after| {
                    group.last_seen_at < after.last_seen_at
                        || (group.last_seen_at == after.last_seen_at && group.image > after.image)
                })
            })
            .collect();
        groups.sort_by(|a, b| b.last_seen_at.cmp(&a.last_seen_at).then_with(|| a.image.cmp(&b.image)));
        groups.truncate(page.limit() as usize + 1);
        let tags =
            groups.iter().filter_map(|group| Some((group.image.clone(), state.tag_ref(&group.image)?))).collect();
        Ok(assemble_image_page(groups, rows, &tags, page))
    }

    fn delete_update(&self, id: i64) -> StoreResult<()> {
        self.write(|state, changes| {
            if !state.remove(id) {
                return Err(not_found("update", id));
            }
            changes.push(Change::UpdatesDeleted { ids: vec![id] });
            Ok(())
        })
    }

    fn delete_acknowledged_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
        let cutoff = truncate_to_micros(cutoff);
        self.write(|state, changes| {
            let old: Vec<i64> = state
                .updates
                .values()
                .filter(|row| row.update.acknowledged_at.is_some_and(|at| at < cutoff))
                .map(|row| row.update.id)
                .collect();
            for id in &old {
                state.remove(*id);
            }
            Ok(announce(changes, old, |ids| Change::UpdatesDeleted { ids }))
        })
    }

    fn list_tags(&self) -> StoreResult<Vec<Tag>> {
        let state = self.lock();
        let mut tags: Vec<Tag> = state.tags.keys().map(|id| state.tag(*id)).collect();
        tags.sort_by(|a, b| state.tags[&a.id].key.cmp(&state.tags[&b.id].key).then(a.id.cmp(&b.id)));
        Ok(tags)
    }

    fn create_tag(&self, name: &TagName, at: DateTime<Utc>) -> StoreResult<Tag> {
        let at = truncate_to_micros(at);
        self.write(|state, changes| {
            state.name_taken(name, None)?;
            state.last_tag_id += 1;
            let id = state.last_tag_id;
            state.tags.insert(id, TagRow { name: name.as_str().to_owned(), key: name.key(), created_at: at });
            changes.push(Change::TagCreated { id });
            Ok(state.tag(id))
        })
    }

    fn rename_tag(&self, id: i64, name: &TagName) -> StoreResult<Tag> {
        self.write(|state, changes| {
            state.tag_exists(id)?;
            state.name_taken(name, Some(id))?;
            let tag = state.tags.get_mut(&id).expect("checked above");
            if tag.name != name.as_str() {
                tag.name = name.as_str().to_owned();
                tag.key = name.key();
                changes.push(Change::TagRenamed { id });
            }
            Ok(state.tag(id))
        })
    }

    fn delete_tag(&self, id: i64) -> StoreResult<()> {
        self.write(|state, changes| {
            state.tags.remove(&id).ok_or_else(|| not_found("tag", id))?;
            state.assignments.retain(|_, tag_id| *tag_id != id);
            changes.push(Change::TagDeleted { id });
            Ok(())
        })
    }

    fn assign_tag(&self, image: &str, tag_id: i64) -> StoreResult<TagRef> {
        self.write(|state, changes| {
            state.tag_exists(tag_id)?;
            state.assign(image, Some(tag_id), changes);
            Ok(TagRef { id: tag_id, name: state.tags[&tag_id].name.clone() })
        })
    }

    fn unassign_tag(&self, image: &str) -> StoreResult<bool> {
        self.write(|state, changes| Ok(state.assign(image, None, changes)))
    }

    fn set_image_tags(&self, images: &[String], tag_id: Option<i64>) -> StoreResult<u64> {
        self.write(|state, changes| {
            if let Some(tag_id) = tag_id {
                state.tag_exists(tag_id)?;
            }
            Ok(images.iter().filter(|image| state.assign(image, tag_id, changes)).count() as u64)
        })
    }

    fn stats(&self) -> StoreResult<StoreStats> {
        let state = self.lock();
        let mut stats = StoreStats { tags: state.tags.len() as i64, ..StoreStats::default() };
        for row in state.updates.values() {
            if row.update.is_pending() {
                *stats.pending_by_host.entry(row.update.hostname.clone()).or_default() += 1;
            } else {
                stats.acknowledged += 1;
            }
        }
        Ok(stats)
    }

    fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    fn claim_reminder_slot(
        &self,
        slot_key: &str,
        slot_time: DateTime<Utc>,
        claimed_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let (slot_time, claimed_at) = (truncate_to_micros(slot_time), truncate_to_micros(claimed_at));
        let mut state = self.lock();
        let forget_before = claimed_at - chrono::Duration::days(diun_core::REMINDER_CLAIMS_KEPT_DAYS);
        state.reminder_claims.retain(|(_, time)| *time >= forget_before);
        Ok(state.reminder_claims.insert((slot_key.to_owned(), slot_time)))
    }

    fn subscribe(&self) -> StoreResult<ChangeSubscription> {
        Ok(self.shared.feed.subscribe())
    }

    fn export(&self, sink: &mut dyn FnMut(Record) -> StoreResult<()>) -> StoreResult<Counts> {
        export::export(&self.lock(), sink)
    }

    fn import(&self, records: &mut dyn Iterator<Item = StoreResult<Record>>, merge: bool) -> StoreResult<ImportReport> {
        self.write(|state, changes| {
            // Written into a copy, kept only when every record went in: all or nothing.
            let mut staged = state.clone();
            let report = export::import(&mut staged, records, merge, state.revision + 1)?;
            *state = staged;
            if report.written.total() > 0 {
                changes.push(Change::Resync);
            }
            Ok(report)
        })
    }
}
