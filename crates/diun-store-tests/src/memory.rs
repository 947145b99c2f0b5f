//! A [`Store`] that keeps everything in memory: for tests, demos and as the
//! model that the model-based test compares real backends with.
//!
//! It passes the whole conformance suite (`tests/memory.rs`), so it behaves
//! as the database-backed stores do, with two differences that follow from
//! keeping no database: its data is gone when the last clone is dropped, and
//! times are kept exactly as given (SQLite and PostgreSQL keep what their
//! column types hold).
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
use diun_core::{
    assemble_page, search_text, AckSelector, Change, ChangeBroadcaster, ChangeSubscription, Notification, PageRequest,
    Store, StoreError, StoreOptions, StoreResult, StoreStats, Summary, Tag, TagFilter, TagName, TagRef, UnackSelector,
    Update, UpdateEvent, UpdateFilter, UpdatePage,
};

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
#[derive(Debug, Default)]
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
}

#[derive(Debug)]
struct Row {
    update: Update,
    search_text: String,
    /// The revision of the latest notification.
    seen_revision: i64,
    /// Oldest first, with the revision that recorded each.
    events: VecDeque<(i64, UpdateEvent)>,
}

#[derive(Debug)]
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
        if filter.acknowledged.is_some_and(|acknowledged| acknowledged == update.is_pending()) {
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
        let identity = (n.hostname.clone(), n.image.clone());
        let existing = self.by_identity.get(&identity).copied();
        let id = existing.unwrap_or_else(|| {
            self.last_update_id += 1;
            self.last_update_id
        });
        let fresh = |first_seen_at, event_count, acknowledged_at| Update {
            id,
            hostname: n.hostname.clone(),
            image: n.image.clone(),
            status: n.status,
            provider: n.provider.clone(),
            hub_link: n.hub_link.clone(),
            mime_type: n.mime_type.clone(),
            digest: n.digest.clone(),
            created: n.created,
            platform: n.platform.clone(),
            diun_version: n.diun_version.clone(),
            metadata: n.metadata.clone(),
            first_seen_at,
            last_seen_at: at,
            acknowledged_at,
            event_count,
            tag: None,
        };
        let row = match existing.and_then(|id| self.updates.get_mut(&id)) {
            None => {
                self.by_identity.insert(identity, id);
                self.updates.insert(
                    id,
                    Row {
                        update: fresh(at, 1, None),
                        search_text: search_text(&n.image, &n.hostname, &n.metadata),
                        seen_revision: revision,
                        events: VecDeque::new(),
                    },
                );
                changes.push(Change::UpdateCreated { id });
                self.updates.get_mut(&id).expect("just inserted")
            }
            Some(row) => {
                let before = &row.update;
                if before.digest == n.digest {
                    // Same image as before: a re-sent notification keeps the acknowledgment.
                    row.update.last_seen_at = at;
                    row.update.event_count += 1;
                } else {
                    row.update = fresh(before.first_seen_at, before.event_count + 1, None);
                    row.search_text = search_text(&n.image, &n.hostname, &n.metadata);
                }
                row.seen_revision = revision;
                changes.push(Change::UpdateChanged { id });
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
                status: n.status,
                digest: n.digest.clone(),
                created: n.created,
                diun_version: n.diun_version.clone(),
                metadata: n.metadata.clone(),
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
fn announce(changes: &mut Vec<Change>, mut ids: Vec<i64>, make: fn(Vec<i64>) -> Change) -> u64 {
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
        let filter = UpdateFilter { acknowledged: None, ..filter.clone() };
        let state = self.lock();
        let mut by_tag: BTreeMap<Option<i64>, (i64, i64)> = BTreeMap::new();
        let mut by_host: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut oldest: Option<&Row> = None;
        for row in state.matching(&filter) {
            let update = &row.update;
            let pending = i64::from(update.is_pending());
            let tag = state.tag_ref(&update.image).map(|tag| tag.id);
            let counts = by_tag.entry(tag).or_default();
            *counts = (counts.0 + pending, counts.1 + 1);
            let counts = by_host.entry(update.hostname.clone()).or_default();
            *counts = (counts.0 + pending, counts.1 + 1);
            let key = |row: &Row| (row.update.last_seen_at, row.update.id);
            if update.is_pending() && oldest.is_none_or(|old| key(row) < key(old)) {
                oldest = Some(row);
            }
        }
        let tags = by_tag
            .into_iter()
            .map(|(id, (pending, total))| {
                let tag = id.map(|id| (TagRef { id, name: state.tags[&id].name.clone() }, state.tags[&id].key.clone()));
                (tag, pending, total)
            })
            .collect();
        let hosts = by_host.into_iter().map(|(host, (pending, total))| (host, pending, total)).collect();
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
            let filter = match selector {
                AckSelector::Ids(ids) => return Ok(state.acknowledge_ids(ids.iter().copied(), at, changes)),
                AckSelector::Tag(id) => {
                    state.tag_exists(*id)?;
                    UpdateFilter { tag: Some(TagFilter::Id(*id)), ..UpdateFilter::default() }
                }
                AckSelector::All => UpdateFilter::default(),
                AckSelector::Filter(filter) => UpdateFilter { acknowledged: None, ..filter.clone() },
            };
            let ids: Vec<i64> = state.matching(&filter).map(|row| row.update.id).collect();
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
        let mut state = self.lock();
        let forget_before = claimed_at - chrono::Duration::days(diun_core::REMINDER_CLAIMS_KEPT_DAYS);
        state.reminder_claims.retain(|(_, time)| *time >= forget_before);
        Ok(state.reminder_claims.insert((slot_key.to_owned(), slot_time)))
    }

    fn subscribe(&self) -> StoreResult<ChangeSubscription> {
        Ok(self.shared.feed.subscribe())
    }
}
