//! The export format: a whole dashboard as a versioned JSON Lines stream.
//!
//! ```text
//! {"format":"diun-dashboard-export","version":2,"generator":"diun-dashboard 0.1.0"}
//! {"type":"tag","name":"media","created_at":"2026-12-01T10:00:00.000000Z"}
//! {"type":"assignment","image":"docker.io/library/nginx:1.27","tag":"media"}
//! {"type":"mute_rule","number":1,"pattern":"ghcr.io/acme/*:nightly","hostname":null,"status":null,"comment":"CI builds","created_at":"…"}
//! {"type":"update","hostname":"nas","image":"docker.io/library/nginx:1.27",…,"acknowledged_at":null,"event_count":2,"snoozed_until":null,"muted_by":null,"pending_since":"…"}
//! {"type":"event","hostname":"nas","image":"docker.io/library/nginx:1.27","received_at":"…",…}
//! {"type":"end","tags":1,"assignments":1,"mute_rules":1,"updates":1,"events":2}
//! ```
//!
//! - The first line is the [`Header`]; a reader refuses any other format or
//!   a version it does not know ([`VERSION`], [`OLDEST_VERSION`]).
//! - Then one [`Record`] per line, each an object with a `type`: every tag,
//!   then every assignment (an image reference under a tag, on every host),
//!   then every mute rule, then every update, each followed by its history,
//!   oldest event first.
//! - The last line is the `end` record with the count of each type, so that a
//!   cut stream is refused instead of imported in part.
//!
//! Records carry no database ids: an update is named by `(hostname, image)`,
//! a tag by its name (unique ignoring case), as the databases themselves keep
//! them unique. Ids are each database's own counters and differ after a move.
//!
//! A mute rule has no such natural key: nothing keeps two rules from having
//! the same pattern, host and status (they may differ only in their comment).
//! So each rule gets a `number` of its own in the stream, 1, 2, … in the
//! order the source made them, and an update's `muted_by` names its rule by
//! that number. The numbers mean nothing outside the stream: an import gives
//! each rule a new id of the target's, in stream order, so that "the oldest
//! matching rule mutes" ([`crate::MuteRules::first_match`]) still picks the
//! same rule.
//!
//! Times are RFC 3339 in UTC with exactly six decimals (microseconds, what
//! PostgreSQL keeps), so that a stream reads back the same from either backend.
//!
//! # Versions
//!
//! - **2** (written now) adds triage: the `mute_rule` records, and per update
//!   `snoozed_until`, `muted_by` and `pending_since`; the `end` line counts
//!   `mute_rules`.
//! - **1** (the first) had none of them. It is still read, as the triage
//!   migration read the rows before it: no rule, no update snoozed or muted,
//!   each update pending since its first notification (`first_seen_at`). A
//!   version 1 stream with any of the fields or records of version 2 is
//!   refused, as it is not one that any program wrote.
//!
//! # What a stream does not carry
//!
//! What each database derives or counts for itself: ids, the search text,
//! the data revision and the revisions of rows and events (paging
//! bookkeeping: an import writes at the target's next revision), how many
//! updates a rule holds. Nor the claimed reminder slots (`reminder_runs`):
//! they only keep replicas running at the same time from sending one slot
//! twice, and a server never sends a slot that passed before it started, so
//! a moved dashboard has no use for the old claims.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    Metadata, MuteRule, NewMuteRule, Notification, StoreError, StoreResult, TagName, Update, UpdateEvent, UpdateStatus,
    ValidationError,
};

/// The `format` of the header line.
pub const FORMAT: &str = "diun-dashboard-export";

/// The version of the format this code writes; it reads it and every
/// version since [`OLDEST_VERSION`].
pub const VERSION: u32 = 2;

/// The oldest version this code reads.
pub const OLDEST_VERSION: u32 = 1;

/// The first line of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format's version: [`VERSION`] when written by this code.
    pub version: u32,
    /// The program that wrote the stream, for people; readers ignore it.
    #[serde(default)]
    pub generator: String,
}

/// One line of a stream after the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// A tag.
    Tag(TagRecord),
    /// An image reference under a tag.
    Assignment(AssignmentRecord),
    /// A mute rule, named by its number in the stream.
    MuteRule(MuteRuleRecord),
    /// An update with its triage state; its events follow it.
    Update(UpdateRecord),
    /// One event of an update's history.
    Event(EventRecord),
}

/// A tag, named as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagRecord {
    /// The name; unique ignoring case.
    pub name: String,
    /// When the tag was made.
    #[serde(with = "micros")]
    pub created_at: DateTime<Utc>,
}

/// An image reference under a tag, on every host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRecord {
    /// The image reference.
    pub image: String,
    /// The tag's name, as in its [`TagRecord`].
    pub tag: String,
}

/// A mute rule: every field a store keeps, but its id, which its `number` stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MuteRuleRecord {
    /// The rule's name in this stream, for [`UpdateRecord::muted_by`]: 1, 2, …
    /// as written, in the order the source made the rules; unique in a stream.
    pub number: u64,
    /// The glob over image references ([`crate::MutePattern`]).
    pub pattern: String,
    /// Only updates from this host; every host when `None`.
    pub hostname: Option<String>,
    /// Only notifications of this status; both when `None`.
    pub status: Option<UpdateStatus>,
    /// Why the rule exists.
    pub comment: String,
    /// When it was made.
    #[serde(with = "micros")]
    pub created_at: DateTime<Utc>,
}

/// An update: every field a store keeps, but its id and tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // The fields of [`crate::Update`], documented there.
pub struct UpdateRecord {
    pub hostname: String,
    pub image: String,
    pub status: UpdateStatus,
    pub provider: String,
    pub hub_link: String,
    pub mime_type: String,
    pub digest: String,
    #[serde(with = "micros_option")]
    pub created: Option<DateTime<Utc>>,
    pub platform: String,
    pub diun_version: String,
    pub metadata: Metadata,
    #[serde(with = "micros")]
    pub first_seen_at: DateTime<Utc>,
    #[serde(with = "micros")]
    pub last_seen_at: DateTime<Utc>,
    /// `null` while pending.
    #[serde(with = "micros_option")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub event_count: i64,
    /// `null` when not snoozed. Kept whatever the state, like the others:
    /// an acknowledgment keeps the snooze and mute that its undo restores.
    #[serde(with = "micros_option")]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// The [`MuteRuleRecord::number`] of the rule muting it, declared
    /// earlier in the stream; `null` when not muted.
    pub muted_by: Option<u64>,
    #[serde(with = "micros")]
    pub pending_since: DateTime<Utc>,
}

/// One received notification of an update's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // The fields of [`crate::UpdateEvent`], documented there.
pub struct EventRecord {
    /// The update's host: with `image`, which update this event belongs to.
    pub hostname: String,
    /// The update's image.
    pub image: String,
    #[serde(with = "micros")]
    pub received_at: DateTime<Utc>,
    pub status: UpdateStatus,
    pub digest: String,
    #[serde(with = "micros_option")]
    pub created: Option<DateTime<Utc>>,
    pub diun_version: String,
    pub metadata: Metadata,
}

impl UpdateRecord {
    /// The record of `update`, muted by the rule numbered `muted_by` in the
    /// stream, its times cut to microseconds. [`ExportedRules::update`] finds
    /// the number.
    pub fn from_update(update: &Update, muted_by: Option<u64>) -> Self {
        UpdateRecord {
            hostname: update.hostname.clone(),
            image: update.image.clone(),
            status: update.status,
            provider: update.provider.clone(),
            hub_link: update.hub_link.clone(),
            mime_type: update.mime_type.clone(),
            digest: update.digest.clone(),
            created: update.created.map(truncate_to_micros),
            platform: update.platform.clone(),
            diun_version: update.diun_version.clone(),
            metadata: update.metadata.clone(),
            first_seen_at: truncate_to_micros(update.first_seen_at),
            last_seen_at: truncate_to_micros(update.last_seen_at),
            acknowledged_at: update.acknowledged_at.map(truncate_to_micros),
            event_count: update.event_count,
            snoozed_until: update.snoozed_until.map(truncate_to_micros),
            muted_by,
            pending_since: truncate_to_micros(update.pending_since),
        }
    }
}

impl UpdateRecord {
    /// The update this record gives, with the id `id` and muted by the rule
    /// `muted_by` of the store taking it in; no tag (a store adds its image's).
    pub fn to_update(&self, id: i64, muted_by: Option<i64>) -> Update {
        Update {
            id,
            hostname: self.hostname.clone(),
            image: self.image.clone(),
            status: self.status,
            provider: self.provider.clone(),
            hub_link: self.hub_link.clone(),
            mime_type: self.mime_type.clone(),
            digest: self.digest.clone(),
            created: self.created,
            platform: self.platform.clone(),
            diun_version: self.diun_version.clone(),
            metadata: self.metadata.clone(),
            first_seen_at: self.first_seen_at,
            last_seen_at: self.last_seen_at,
            acknowledged_at: self.acknowledged_at,
            event_count: self.event_count,
            tag: None,
            snoozed_until: self.snoozed_until,
            muted_by,
            pending_since: self.pending_since,
        }
    }
}

impl EventRecord {
    /// The record of `event`, one of `update`'s, its times cut to microseconds.
    pub fn from_event(update: &Update, event: &UpdateEvent) -> Self {
        EventRecord {
            hostname: update.hostname.clone(),
            image: update.image.clone(),
            received_at: truncate_to_micros(event.received_at),
            status: event.status,
            digest: event.digest.clone(),
            created: event.created.map(truncate_to_micros),
            diun_version: event.diun_version.clone(),
            metadata: event.metadata.clone(),
        }
    }
}

/// Numbers the mute rules of an export and names them in its updates: for
/// [`crate::Store::export`] implementations, which give every rule to
/// [`ExportedRules::rule`], oldest first, before any update.
#[derive(Debug, Default)]
pub struct ExportedRules {
    /// The store's rule id → its number in the stream.
    numbers: HashMap<i64, u64>,
}

impl ExportedRules {
    /// The record of `rule`, numbered after the rules before it.
    pub fn rule(&mut self, rule: &MuteRule) -> MuteRuleRecord {
        let number = self.numbers.len() as u64 + 1;
        self.numbers.insert(rule.id, number);
        MuteRuleRecord {
            number,
            pattern: rule.pattern.clone(),
            hostname: rule.hostname.clone(),
            status: rule.status,
            comment: rule.comment.clone(),
            created_at: truncate_to_micros(rule.created_at),
        }
    }

    /// The record of `update`, its rule named by number; [`StoreError::NotFound`]
    /// when its rule was not given before.
    pub fn update(&self, update: &Update) -> StoreResult<UpdateRecord> {
        let muted_by = match update.muted_by {
            None => None,
            Some(id) => Some(*self.numbers.get(&id).ok_or_else(|| StoreError::NotFound(format!("mute rule {id}")))?),
        };
        Ok(UpdateRecord::from_update(update, muted_by))
    }
}

/// What a mute rule mutes: two rules alike in these are the same rule to a
/// merging import (their comments and times aside).
type RuleContent = (String, Option<String>, Option<UpdateStatus>);

/// Maps the rule numbers of a stream to the target's rule ids, for
/// [`crate::Store::import`] implementations.
///
/// A merging import writes no rule that the target has already: a rule of
/// the stream with the pattern, host and status of one of the target's rules
/// (the oldest, if several) is that rule, and the stream's updates muted by
/// it are muted by the target's.
#[derive(Debug, Default)]
pub struct ImportedRules {
    /// The target's rules before the import, by content: the oldest of each.
    existing: HashMap<RuleContent, i64>,
    /// Each rule number of the stream → the target's rule id.
    ids: HashMap<u64, i64>,
}

impl ImportedRules {
    /// Starts from the target's rules before the import.
    pub fn new(existing: &[MuteRule]) -> Self {
        let mut by_content = HashMap::new();
        for rule in existing {
            let key = (rule.pattern.clone(), rule.hostname.clone(), rule.status);
            let oldest = by_content.entry(key).or_insert(rule.id);
            *oldest = (*oldest).min(rule.id);
        }
        ImportedRules { existing: by_content, ids: HashMap::new() }
    }

    /// The target's rule that `rule` is, if it has one alike: then the
    /// import writes none and names it with [`ImportedRules::insert`].
    pub fn existing(&self, rule: &MuteRuleRecord) -> Option<i64> {
        self.existing.get(&(rule.pattern.clone(), rule.hostname.clone(), rule.status)).copied()
    }

    /// Records that the stream's `rule` is the target's rule `id`.
    pub fn insert(&mut self, rule: &MuteRuleRecord, id: i64) {
        self.ids.insert(rule.number, id);
    }

    /// The target's id of the rule muting `update`; [`StoreError::Invalid`]
    /// for a number no rule before it had.
    pub fn muted_by(&self, update: &UpdateRecord) -> StoreResult<Option<i64>> {
        match update.muted_by {
            None => Ok(None),
            Some(number) => self.ids.get(&number).copied().map(Some).ok_or_else(|| {
                StoreError::Invalid(format!(
                    "the update of {} on {} is muted by rule {number}, which is not in the stream before it",
                    update.image, update.hostname
                ))
            }),
        }
    }
}

/// Which update of the target each update of a stream went to, for
/// [`crate::Store::import`] implementations to place the events that follow it.
#[derive(Debug, Default)]
pub struct ImportedUpdates {
    /// `(hostname, image)` → the id written, or `None` when merging kept the target's own.
    ids: HashMap<(String, String), Option<i64>>,
}

impl ImportedUpdates {
    /// Records that `update` was written with the id `id`.
    pub fn written(&mut self, update: &UpdateRecord, id: i64) {
        self.ids.insert((update.hostname.clone(), update.image.clone()), Some(id));
    }

    /// Records that merging kept the target's own update instead of `update`.
    pub fn kept(&mut self, update: &UpdateRecord) {
        self.ids.insert((update.hostname.clone(), update.image.clone()), None);
    }

    /// The id of the update `event` belongs to; `None` when the target kept
    /// its own (the event is left out); [`StoreError::Invalid`] when its
    /// update did not come before it.
    pub fn of_event(&self, event: &EventRecord) -> StoreResult<Option<i64>> {
        self.ids.get(&(event.hostname.clone(), event.image.clone())).copied().ok_or_else(|| {
            StoreError::Invalid(format!("an event of {} on {} comes before its update", event.image, event.hostname))
        })
    }
}

/// How many records of each type a stream holds, or an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Tags.
    pub tags: u64,
    /// Assignments.
    pub assignments: u64,
    /// Mute rules.
    pub mute_rules: u64,
    /// Updates.
    pub updates: u64,
    /// Events.
    pub events: u64,
}

impl Counts {
    /// Counts one more record.
    pub fn add(&mut self, record: &Record) {
        match record {
            Record::Tag(_) => self.tags += 1,
            Record::Assignment(_) => self.assignments += 1,
            Record::MuteRule(_) => self.mute_rules += 1,
            Record::Update(_) => self.updates += 1,
            Record::Event(_) => self.events += 1,
        }
    }

    /// All records.
    pub fn total(&self) -> u64 {
        self.tags + self.assignments + self.mute_rules + self.updates + self.events
    }
}

/// What [`crate::Store::import`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// What it wrote.
    pub written: Counts,
    /// What it left out when merging, the target's own data winning: tags
    /// whose name existed (their assignments then point at the target's
    /// tag), assignments of images the target had under a tag, mute rules
    /// alike to one of the target's (see [`ImportedRules`]), updates the
    /// target had (with their events).
    pub skipped: Counts,
}

/// Refuses an import that does not merge into a store already holding
/// `held` (its updates, tags, assignments and mute rules; events aside):
/// [`StoreError::Conflict`] unless all are 0.
pub fn refuse_unless_empty(held: Counts) -> StoreResult<()> {
    if held.total() == 0 {
        return Ok(());
    }
    let Counts { tags, assignments, mute_rules, updates, .. } = held;
    Err(StoreError::Conflict(format!(
        "the database is not empty ({updates} updates, {tags} tags, {assignments} tagged images, {mute_rules} mute \
         rules): import into an empty database, or merge into this one"
    )))
}

/// The time as the format writes it: six decimals, `Z`.
pub fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A time cut to whole microseconds, what the format (and PostgreSQL) keeps.
pub fn truncate_to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
}

mod micros {
    use super::*;

    pub fn serialize<S: serde::Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_time(time))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|time| truncate_to_micros(time.with_timezone(&Utc)))
            .map_err(|err| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 time: {err}")))
    }
}

mod micros_option {
    use super::*;

    pub fn serialize<S: serde::Serializer>(time: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => micros::serialize(time, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "micros")] DateTime<Utc>);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(time)| time))
    }
}

/// The `end` line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct End {
    #[serde(rename = "type")]
    kind: EndType,
    tags: u64,
    assignments: u64,
    mute_rules: u64,
    updates: u64,
    events: u64,
}

/// The only value of the end line's `type`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EndType {
    End,
}

impl End {
    fn new(counts: Counts) -> End {
        End {
            kind: EndType::End,
            tags: counts.tags,
            assignments: counts.assignments,
            mute_rules: counts.mute_rules,
            updates: counts.updates,
            events: counts.events,
        }
    }

    fn counts(&self) -> Counts {
        Counts {
            tags: self.tags,
            assignments: self.assignments,
            mute_rules: self.mute_rules,
            updates: self.updates,
            events: self.events,
        }
    }
}

/// Any line after the header.
#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Record(Box<Record>),
    End(End),
}

/// Writes a stream: the header, then each record given, then (on
/// [`ExportWriter::finish`]) the end line.
pub struct ExportWriter<W: Write> {
    out: W,
    counts: Counts,
}

impl<W: Write> ExportWriter<W> {
    /// Writes the header naming `generator` (such as `diun-dashboard 1.2.0`).
    pub fn new(mut out: W, generator: &str) -> io::Result<Self> {
        let header = Header { format: FORMAT.into(), version: VERSION, generator: generator.into() };
        write_line(&mut out, &header)?;
        Ok(ExportWriter { out, counts: Counts::default() })
    }

    /// Writes one record.
    pub fn write(&mut self, record: &Record) -> io::Result<()> {
        write_line(&mut self.out, record)?;
        self.counts.add(record);
        Ok(())
    }

    /// The records written so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Writes the end line and flushes; returns the writer and the counts.
    pub fn finish(mut self) -> io::Result<(W, Counts)> {
        write_line(&mut self.out, &End::new(self.counts))?;
        self.out.flush()?;
        Ok((self.out, self.counts))
    }
}

fn write_line(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// Reads a stream line by line, checking it as it goes: an iterator of its
/// records for [`crate::Store::import`].
///
/// It reads every version from [`OLDEST_VERSION`] to [`VERSION`], and
/// yields the records of the newest: a version 1 update comes with the
/// triage state that the triage migration gave the rows before it.
///
/// It fails with [`StoreError::Invalid`] naming the line for a header of
/// another format or an unknown version, a line that is not a record (or not
/// one of its version), a tag named twice, an assignment to a tag not
/// declared before it, a mute rule that is not valid or whose number was
/// given before, an update given twice or muted by a rule not declared before
/// it, an event before its update, anything after the end line, or a stream
/// that stops before it (a cut stream). After a failure it yields nothing
/// more.
pub struct ExportReader<I> {
    lines: I,
    line: u64,
    /// The header's version, once read.
    version: u32,
    started: bool,
    finished: bool,
    failed: bool,
    counts: Counts,
    tags: HashSet<String>,
    rules: HashSet<u64>,
    updates: HashSet<(String, String)>,
    /// Each update's newest event so far: history comes oldest first.
    last_event: HashMap<(String, String), DateTime<Utc>>,
}

impl<I: Iterator<Item = io::Result<String>>> ExportReader<I> {
    /// Reads the lines of `lines` (such as [`std::io::BufRead::lines`]).
    pub fn new(lines: I) -> Self {
        ExportReader {
            lines,
            line: 0,
            version: VERSION,
            started: false,
            finished: false,
            failed: false,
            counts: Counts::default(),
            tags: HashSet::new(),
            rules: HashSet::new(),
            updates: HashSet::new(),
            last_event: HashMap::new(),
        }
    }

    /// The number of the last line read, from 1.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Holds an update's or an event's text to the webhook's checks (what the
    /// stores would otherwise take as given, or refuse with a database
    /// error), and its host and image to the form a webhook stores them in.
    fn check_text(
        &self,
        hostname: &str,
        image: &str,
        as_notification: impl FnOnce() -> Result<Notification, ValidationError>,
    ) -> StoreResult<()> {
        let checked = as_notification().map_err(|err| self.fail(format!("{image:?} on {hostname:?}: {err}")))?;
        if (checked.hostname(), checked.image()) != (hostname, image) {
            return Err(self.fail(format!("{image:?} on {hostname:?} has spaces around its image or host")));
        }
        Ok(())
    }

    fn fail(&self, why: impl std::fmt::Display) -> StoreError {
        StoreError::Invalid(format!("line {}: {why}", self.line))
    }

    fn next_line(&mut self) -> Option<StoreResult<String>> {
        let line = self.lines.next()?;
        self.line += 1;
        Some(line.map_err(|err| self.fail(format!("cannot be read: {err}"))))
    }

    fn header(&mut self) -> StoreResult<()> {
        let line = match self.next_line() {
            None => return Err(StoreError::Invalid("the stream is empty: no header line".into())),
            Some(line) => line?,
        };
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|err| self.fail(format!("the header is not JSON: {err}")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(self.fail(format!("not a Diun Dashboard export (no \"format\":\"{FORMAT}\" header)")));
        }
        let header: Header = serde_json::from_value(value).map_err(|err| self.fail(format!("bad header: {err}")))?;
        if !(OLDEST_VERSION..=VERSION).contains(&header.version) {
            return Err(self.fail(format!(
                "the export is version {}, this program reads versions {OLDEST_VERSION} to {VERSION}",
                header.version
            )));
        }
        self.version = header.version;
        Ok(())
    }

    fn check(&mut self, record: &Record) -> StoreResult<()> {
        match record {
            Record::Tag(tag) => {
                let name = TagName::parse(&tag.name).map_err(|err| self.fail(err))?;
                if name.as_str() != tag.name {
                    return Err(self.fail(format!("the tag name {:?} has spaces around it", tag.name)));
                }
                if !self.tags.insert(name.key()) {
                    return Err(self.fail(format!("the tag {:?} is given twice (names ignore case)", tag.name)));
                }
            }
            Record::Assignment(assignment) => {
                let known = TagName::parse(&assignment.tag).is_ok_and(|name| self.tags.contains(&name.key()));
                if !known {
                    return Err(self.fail(format!("the tag {:?} is not declared before it", assignment.tag)));
                }
            }
            Record::MuteRule(rule) => {
                let checked = NewMuteRule::new(&rule.pattern, rule.hostname.as_deref(), rule.status, &rule.comment)
                    .map_err(|err| self.fail(format!("the mute rule {}: {err}", rule.number)))?;
                let as_kept = (checked.pattern().as_str(), checked.hostname(), checked.comment());
                if as_kept != (rule.pattern.as_str(), rule.hostname.as_deref(), rule.comment.as_str()) {
                    return Err(self.fail(format!(
                        "the mute rule {} has spaces around its pattern, host or comment",
                        rule.number
                    )));
                }
                if !self.rules.insert(rule.number) {
                    return Err(self.fail(format!("the mute rule number {} is given twice", rule.number)));
                }
            }
            Record::Update(update) => {
                self.check_text(&update.hostname, &update.image, || {
                    Notification::builder(&update.image)
                        .hostname(&update.hostname)
                        .status(update.status)
                        .provider(&update.provider)
                        .hub_link(&update.hub_link)
                        .mime_type(&update.mime_type)
                        .digest(&update.digest)
                        .created(update.created)
                        .platform(&update.platform)
                        .diun_version(&update.diun_version)
                        .metadata(update.metadata.clone())
                        .build()
                })?;
                if update.event_count < 0 {
                    return Err(self.fail("event_count is negative"));
                }
                if let Some(number) = update.muted_by.filter(|number| !self.rules.contains(number)) {
                    return Err(self.fail(format!(
                        "the update of {} on {} is muted by rule {number}, not declared before it",
                        update.image, update.hostname
                    )));
                }
                if !self.updates.insert((update.hostname.clone(), update.image.clone())) {
                    return Err(
                        self.fail(format!("the update of {} on {} is given twice", update.image, update.hostname))
                    );
                }
            }
            Record::Event(event) => {
                self.check_text(&event.hostname, &event.image, || {
                    Notification::builder(&event.image)
                        .hostname(&event.hostname)
                        .status(event.status)
                        .digest(&event.digest)
                        .created(event.created)
                        .diun_version(&event.diun_version)
                        .metadata(event.metadata.clone())
                        .build()
                })?;
                let key = (event.hostname.clone(), event.image.clone());
                if !self.updates.contains(&key) {
                    return Err(
                        self.fail(format!("an event of {} on {} comes before its update", event.image, event.hostname))
                    );
                }
                if self.last_event.get(&key).is_some_and(|last| *last > event.received_at) {
                    return Err(self.fail("events must come oldest first"));
                }
                self.last_event.insert(key, event.received_at);
            }
        }
        Ok(())
    }

    fn read(&mut self) -> Option<StoreResult<Record>> {
        if !self.started {
            self.started = true;
            if let Err(err) = self.header() {
                return Some(Err(err));
            }
        }
        loop {
            let line = match self.next_line() {
                None if self.finished => return None,
                None => {
                    return Some(Err(StoreError::Invalid(format!(
                        "the stream stops after line {} without its end line: it was cut short",
                        self.line
                    ))))
                }
                Some(Err(err)) => return Some(Err(err)),
                Some(Ok(line)) => line,
            };
            if self.finished {
                return Some(Err(self.fail("there is more after the end line")));
            }
            let parsed = if self.version == VERSION {
                serde_json::from_str::<Line>(&line).ok()
            } else {
                // Older versions are rare (old backups): worth a detour through a `Value`.
                serde_json::from_str(&line)
                    .ok()
                    .and_then(|value| upgrade(self.version, value).ok())
                    .and_then(|value| serde_json::from_value::<Line>(value).ok())
            };
            let Some(parsed) = parsed else { return Some(Err(self.explain(&line))) };
            match parsed {
                Line::End(end) => {
                    let counts = end.counts();
                    if counts != self.counts {
                        return Some(Err(
                            self.fail(format!("the end line counts {counts:?}, the stream holds {:?}", self.counts))
                        ));
                    }
                    self.finished = true;
                }
                Line::Record(record) => {
                    if let Err(err) = self.check(&record) {
                        return Some(Err(err));
                    }
                    self.counts.add(&record);
                    return Some(Ok(*record));
                }
            }
        }
    }

    /// Says why a line is neither a record nor the end line (of its version).
    fn explain(&self, line: &str) -> StoreError {
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(err) => return self.fail(format!("not valid JSON: {err}")),
        };
        let value = match upgrade(self.version, value) {
            Ok(value) => value,
            Err(why) => return self.fail(why),
        };
        let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
        let err = match kind.as_str() {
            "tag" => serde_json::from_value::<TagRecord>(strip_type(value)).err(),
            "assignment" => serde_json::from_value::<AssignmentRecord>(strip_type(value)).err(),
            "mute_rule" => serde_json::from_value::<MuteRuleRecord>(strip_type(value)).err(),
            "update" => serde_json::from_value::<UpdateRecord>(strip_type(value)).err(),
            "event" => serde_json::from_value::<EventRecord>(strip_type(value)).err(),
            "end" => serde_json::from_value::<End>(value).err(),
            "" => return self.fail("a record without a \"type\""),
            other => return self.fail(format!("unknown record type {other:?}")),
        };
        match err {
            Some(err) => self.fail(format!("a bad {kind} record: {err}")),
            None => self.fail(format!("a bad {kind} record")),
        }
    }
}

/// What version 2 added to the lines of version 1: per record type, its new
/// fields. Version 1 had no `mute_rule` record.
const ADDED_IN_VERSION_2: [(&str, &[&str]); 2] =
    [("update", &["snoozed_until", "muted_by", "pending_since"]), ("end", &["mute_rules"])];

/// A line of a stream of `version` as the line of the current version that
/// means the same, or why it is not a line of its version.
///
/// A version 1 update gets the values the triage migration gave the rows
/// before it: not snoozed, not muted, pending since its first notification.
/// A version 1 end line counts no mute rule.
fn upgrade(version: u32, mut value: serde_json::Value) -> Result<serde_json::Value, String> {
    if version >= 2 {
        return Ok(value);
    }
    let Some(object) = value.as_object_mut() else { return Ok(value) };
    let kind = object.get("type").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
    if kind == "mute_rule" {
        return Err(format!("a mute_rule record in a version {version} stream: mute rules came with version 2"));
    }
    let added = ADDED_IN_VERSION_2.iter().find(|(added_to, _)| *added_to == kind).map_or(&[][..], |(_, f)| *f);
    if let Some(field) = added.iter().find(|field| object.contains_key(**field)) {
        return Err(format!("{field:?} in a version {version} stream: the field came with version 2"));
    }
    match kind.as_str() {
        "update" => {
            object.insert("snoozed_until".into(), serde_json::Value::Null);
            object.insert("muted_by".into(), serde_json::Value::Null);
            // Without a first_seen_at, the record is refused for want of it.
            if let Some(first_seen_at) = object.get("first_seen_at").cloned() {
                object.insert("pending_since".into(), first_seen_at);
            }
        }
        "end" => {
            object.insert("mute_rules".into(), 0.into());
        }
        _ => {}
    }
    Ok(value)
}

fn strip_type(mut value: serde_json::Value) -> serde_json::Value {
    if let Some(object) = value.as_object_mut() {
        object.remove("type");
    }
    value
}

impl<I: Iterator<Item = io::Result<String>>> Iterator for ExportReader<I> {
    type Item = StoreResult<Record>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.read();
        if matches!(item, Some(Err(_))) {
            self.failed = true;
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> StoreResult<Vec<Record>> {
        ExportReader::new(text.lines().map(|line| Ok(line.to_owned()))).collect()
    }

    fn stream(records: &[Record]) -> String {
        let mut writer = ExportWriter::new(Vec::new(), "test").unwrap();
        for record in records {
            writer.write(record).unwrap();
        }
        String::from_utf8(writer.finish().unwrap().0).unwrap()
    }

    fn time(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn sample() -> Vec<Record> {
        let update = UpdateRecord {
            hostname: "nas".into(),
            image: "nginx:1".into(),
            status: UpdateStatus::Update,
            provider: "docker".into(),
            hub_link: String::new(),
            mime_type: "m".into(),
            digest: "sha256:1".into(),
            created: None,
            platform: "linux/amd64".into(),
            diun_version: "4".into(),
            metadata: [("k".to_owned(), "line\nbreak".to_owned())].into(),
            first_seen_at: time("2026-01-01T00:00:00.123456Z"),
            last_seen_at: time("2026-01-02T00:00:00Z"),
            acknowledged_at: Some(time("2026-01-03T00:00:00Z")),
            event_count: 1,
            snoozed_until: Some(time("2026-02-01T00:00:00Z")),
            muted_by: Some(7),
            pending_since: time("2026-01-02T00:00:00Z"),
        };
        let rule = MuteRuleRecord {
            number: 7,
            pattern: "nginx:*".into(),
            hostname: Some("nas".into()),
            status: None,
            comment: "two\nlines".into(),
            created_at: time("2025-12-01T00:00:00Z"),
        };
        let event = EventRecord {
            hostname: "nas".into(),
            image: "nginx:1".into(),
            received_at: time("2026-01-02T00:00:00Z"),
            status: UpdateStatus::New,
            digest: "sha256:1".into(),
            created: Some(time("2025-12-31T23:00:00Z")),
            diun_version: "4".into(),
            metadata: Metadata::new(),
        };
        vec![
            Record::Tag(TagRecord { name: "Media".into(), created_at: time("2026-01-01T00:00:00Z") }),
            Record::Assignment(AssignmentRecord { image: "nginx:1".into(), tag: "media".into() }),
            Record::MuteRule(rule),
            Record::Update(update),
            Record::Event(event),
        ]
    }

    #[test]
    fn a_stream_reads_back_as_written() {
        let text = stream(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 7, "{text}");
        assert_eq!(lines[0], r#"{"format":"diun-dashboard-export","version":2,"generator":"test"}"#);
        assert_eq!(
            lines[3],
            r#"{"type":"mute_rule","number":7,"pattern":"nginx:*","hostname":"nas","status":null,"comment":"two\nlines","created_at":"2025-12-01T00:00:00.000000Z"}"#
        );
        assert!(lines[4].contains(r#""first_seen_at":"2026-01-01T00:00:00.123456Z""#), "{}", lines[4]);
        assert!(
            lines[4].ends_with(
                r#""snoozed_until":"2026-02-01T00:00:00.000000Z","muted_by":7,"pending_since":"2026-01-02T00:00:00.000000Z"}"#
            ),
            "{}",
            lines[4]
        );
        assert_eq!(lines[6], r#"{"type":"end","tags":1,"assignments":1,"mute_rules":1,"updates":1,"events":1}"#);
        assert_eq!(read(&text).unwrap(), sample());
    }

    /// A stream as version 1 wrote it: no rules, no triage fields.
    fn version_1() -> String {
        let mut records = sample();
        records.remove(2);
        let mut text = stream(&records).replacen(r#""version":2"#, r#""version":1"#, 1);
        for field in [
            r#","snoozed_until":"2026-02-01T00:00:00.000000Z""#,
            r#","muted_by":7"#,
            r#","pending_since":"2026-01-02T00:00:00.000000Z""#,
            r#","mute_rules":0"#,
        ] {
            assert_eq!(text.matches(field).count(), 1, "{field} in {text}");
            text = text.replacen(field, "", 1);
        }
        text
    }

    #[test]
    fn a_version_1_stream_reads_with_the_migrations_defaults() {
        let records = read(&version_1()).unwrap();
        assert_eq!(records.len(), 4);
        let Record::Update(update) = &records[2] else { panic!("{records:?}") };
        assert_eq!((update.snoozed_until, update.muted_by), (None, None));
        assert_eq!(update.pending_since, update.first_seen_at, "the triage migration's backfill");
        assert_eq!(update.acknowledged_at, Some(time("2026-01-03T00:00:00Z")));
        assert!(matches!(records[3], Record::Event(_)));

        // What came with version 2 is not part of version 1.
        let rule = r#"{"type":"mute_rule","number":1,"pattern":"x","hostname":null,"status":null,"comment":"","created_at":"2026-01-01T00:00:00Z"}"#;
        let mut lines: Vec<String> = version_1().lines().map(str::to_owned).collect();
        lines.insert(3, rule.to_owned());
        let err = read(&lines.join("\n")).unwrap_err().to_string();
        assert!(err.starts_with("line 4: a mute_rule record in a version 1 stream"), "{err}");
        let muted = version_1().replacen(r#""event_count":1"#, r#""event_count":1,"muted_by":1"#, 1);
        let err = read(&muted).unwrap_err().to_string();
        assert!(err.starts_with(r#"line 4: "muted_by" in a version 1 stream"#), "{err}");
        let counted = version_1().replacen(r#""assignments":1,"#, r#""assignments":1,"mute_rules":0,"#, 1);
        let err = read(&counted).unwrap_err().to_string();
        assert!(err.starts_with(r#"line 6: "mute_rules" in a version 1 stream"#), "{err}");
        // A bad version 1 update still says what is wrong with it.
        let err = read(&version_1().replacen(r#""first_seen_at""#, r#""first_seen""#, 1)).unwrap_err().to_string();
        assert!(err.starts_with("line 4: a bad update record: unknown field `first_seen`"), "{err}");
    }

    #[test]
    fn times_keep_microseconds() {
        let fine = time("2026-01-01T00:00:00.123456789+02:00");
        assert_eq!(format_time(&truncate_to_micros(fine)), "2025-12-31T22:00:00.123456Z");
        let text = stream(&sample()).replace(".123456Z", ".123456789Z");
        let Record::Update(update) = &read(&text).unwrap()[3] else { panic!() };
        assert_eq!(update.first_seen_at, time("2026-01-01T00:00:00.123456Z"));
    }

    #[test]
    fn refusals_name_the_line() {
        let good = stream(&sample());
        let with_line = |n: usize, text: &str| {
            let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
            lines[n - 1] = text.to_owned();
            lines.join("\n")
        };
        let cases = [
            (
                with_line(1, r#"{"format":"diun-dashboard-export","version":3}"#),
                "line 1: the export is version 3, this program reads versions 1 to 2",
            ),
            (with_line(1, r#"{"format":"diun-dashboard-export","version":0}"#), "line 1: the export is version 0"),
            (with_line(1, r#"{"hello":1}"#), "line 1: not a Diun Dashboard export"),
            (with_line(3, r#"{"type":"assignment","image":"x""#), "line 3: not valid JSON"),
            (with_line(3, r#"{"type":"assignment","image":"x","tag":"other"}"#), "line 3: the tag \"other\""),
            (with_line(4, r#"{"type":"mute_rule","number":1}"#), "line 4: a bad mute_rule record: missing field"),
            (
                with_line(4, &good.lines().nth(3).unwrap().replace(r#""nginx:*""#, r#""nginx:[""#)),
                "line 4: the mute rule 7: `pattern` opens a `[` set",
            ),
            (
                with_line(4, &good.lines().nth(3).unwrap().replace(r#""nginx:*""#, r#"" nginx:*""#)),
                "line 4: the mute rule 7 has spaces around its pattern",
            ),
            (
                with_line(4, &good.lines().nth(3).unwrap().replace(r#""number":7"#, r#""number":8"#)),
                "line 5: the update of nginx:1 on nas is muted by rule 7, not declared before it",
            ),
            (with_line(5, r#"{"type":"update"}"#), "line 5: a bad update record: missing field"),
            (
                with_line(
                    5,
                    &good.lines().nth(4).unwrap().replace(r#","pending_since":"2026-01-02T00:00:00.000000Z""#, ""),
                ),
                "line 5: a bad update record: missing field `pending_since`",
            ),
            (with_line(5, r#"{"type":"mystery"}"#), "line 5: unknown record type \"mystery\""),
            (
                with_line(7, r#"{"type":"end","tags":1,"assignments":1,"mute_rules":1,"updates":1,"events":7}"#),
                "line 7: the end",
            ),
            (
                with_line(7, r#"{"type":"end","tags":1,"assignments":1,"mute_rules":0,"updates":1,"events":1}"#),
                "line 7: the end",
            ),
            (
                with_line(7, r#"{"type":"end","tags":1,"assignments":1,"updates":1,"events":1}"#),
                "line 7: a bad end record: missing field `mute_rules`",
            ),
            (good.lines().take(6).collect::<Vec<_>>().join("\n"), "stops after line 6 without its end line"),
            (format!("{good}{{}}\n"), "line 8: there is more after the end line"),
            (String::new(), "the stream is empty"),
        ];
        for (text, expected) in cases {
            let err = read(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "expected {expected:?}, got {err:?}");
        }
        // An event before its update.
        let mut records = sample();
        records.swap(3, 4);
        let err = read(&stream(&records)).unwrap_err().to_string();
        assert!(err.starts_with("line 5: an event of nginx:1 on nas comes before its update"), "{err}");
        // A rule number given twice.
        let mut records = sample();
        records.insert(2, records[2].clone());
        let err = read(&stream(&records)).unwrap_err().to_string();
        assert!(err.starts_with("line 5: the mute rule number 7 is given twice"), "{err}");
        // A tag named twice, ignoring case.
        let mut records = sample();
        records.insert(1, Record::Tag(TagRecord { name: "MEDIA".into(), created_at: Utc::now() }));
        let err = read(&stream(&records)).unwrap_err().to_string();
        assert!(err.starts_with("line 3: the tag \"MEDIA\" is given twice"), "{err}");
    }

    #[test]
    fn text_a_webhook_could_not_carry_is_refused_naming_its_line_and_field() {
        let refused = |records: Vec<Record>, line: u64, named: &str| {
            let err = read(&stream(&records)).unwrap_err().to_string();
            assert!(err.starts_with(&format!("line {line}: ")) && err.contains(named), "{named}: {err}");
        };
        // What to spoil in the sample's update (line 5) and event (line 6), and what the error names.
        type Spoil<T> = fn(&mut T);
        let updates: [(Spoil<UpdateRecord>, &str); 4] = [
            (|u| u.hostname = "na\0s".into(), "`hostname`"),
            (|u| u.digest = "sha256:\n1".into(), "`digest`"),
            (|u| u.provider = "p".repeat(65), "`provider`"),
            (|u| u.image = " nginx:1".into(), "spaces around"),
        ];
        for (spoil, named) in updates {
            let mut records = sample();
            let Record::Update(update) = &mut records[3] else { unreachable!("the sample's update") };
            spoil(update);
            refused(records, 5, named);
        }
        let events: [(Spoil<EventRecord>, &str); 2] = [
            (|e| e.diun_version = "4\u{7}".into(), "`diun_version`"),
            (|e| drop(e.metadata.insert("k\0".into(), "v".into())), "`metadata."),
        ];
        for (spoil, named) in events {
            let mut records = sample();
            let Record::Event(event) = &mut records[4] else { unreachable!("the sample's event") };
            spoil(event);
            refused(records, 6, named);
        }
    }
}
