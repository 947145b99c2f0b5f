//! The storage contract: every backend implements [`Store`].

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::export::{Counts, ImportReport, Record};
#[cfg(doc)]
use crate::Change;
use crate::{
    AckSelector, ChangeSubscription, ImagePage, ImagePageRequest, MuteRule, NewMuteRule, Notification, PageRequest,
    Tag, TagName, TagRef, UnackSelector, Update, UpdateEvent, UpdateFilter, UpdatePage,
};

/// Why a store operation failed. Callers match on the variant; the text is for people.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named thing does not exist, for example `"update 7"`.
    #[error("{0} was not found")]
    NotFound(String),
    /// The change clashes with existing data, such as a duplicate tag name.
    #[error("{0}")]
    Conflict(String),
    /// The input breaks a rule of the domain.
    #[error("{0}")]
    Invalid(String),
    /// The database cannot be reached right now; trying later may work.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database's disk is full: writes fail until space is freed, reads still work.
    #[error("the database's disk is full: {0}")]
    Full(String),
    /// Anything else the backend reported.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// An error of the same kind and text, without its source: for telling
    /// several callers of one failed operation (a group commit) why.
    pub fn duplicate(&self) -> StoreError {
        match self {
            StoreError::NotFound(what) => StoreError::NotFound(what.clone()),
            StoreError::Conflict(why) => StoreError::Conflict(why.clone()),
            StoreError::Invalid(why) => StoreError::Invalid(why.clone()),
            StoreError::Unavailable(why) => StoreError::Unavailable(why.clone()),
            StoreError::Full(why) => StoreError::Full(why.clone()),
            StoreError::Backend(source) => StoreError::Backend(source.to_string().into()),
        }
    }
}

/// A value refused by its checks is invalid input: [`StoreError::Invalid`]
/// with the error's text, which names the field at fault.
///
/// ```
/// use diun_core::{StoreError, StoreResult, TagName};
///
/// fn tag_key(raw: &str) -> StoreResult<String> {
///     Ok(TagName::parse(raw)?.key())
/// }
/// assert!(matches!(tag_key(" "), Err(StoreError::Invalid(why)) if why.contains("`name`")));
/// ```
impl From<crate::ValidationError> for StoreError {
    fn from(err: crate::ValidationError) -> Self {
        StoreError::Invalid(err.to_string())
    }
}

/// How long a claimed reminder slot is remembered ([`Store::claim_reminder_slot`]):
/// far longer than any replica could be late to claim one.
pub const REMINDER_CLAIMS_KEPT_DAYS: i64 = 90;

/// Shorthand for results of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// Settings every backend honours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// How many history events to keep per update; older ones are dropped.
    pub history_limit: u32,
    /// The most connections the pool opens.
    pub pool_size: u32,
    /// How long an operation waits for a connection before it fails as unavailable.
    pub connection_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { history_limit: 100, pool_size: 8, connection_timeout: Duration::from_secs(5) }
    }
}

/// Counts for dashboards and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// Pending updates per Diun host; hosts with none pending are absent.
    pub pending_by_host: BTreeMap<String, i64>,
    /// Acknowledged updates.
    pub acknowledged: i64,
    /// Tags.
    pub tags: i64,
}

/// Updates counted by state (see [`crate::Update::state`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Pending: not acknowledged, not muted, not snoozed.
    pub pending: i64,
    /// Snoozed (and neither acknowledged nor muted).
    pub snoozed: i64,
    /// Muted (and not acknowledged).
    pub muted: i64,
    /// Acknowledged.
    pub acknowledged: i64,
}

impl StateCounts {
    /// Every update counted.
    pub fn total(&self) -> i64 {
        self.pending + self.snoozed + self.muted + self.acknowledged
    }

    /// Adds one update in `state`.
    pub fn add(&mut self, state: crate::UpdateState) {
        use crate::UpdateState::*;
        match state {
            Pending => self.pending += 1,
            Snoozed => self.snoozed += 1,
            Muted => self.muted += 1,
            Acknowledged => self.acknowledged += 1,
        }
    }

    fn plus(self, other: StateCounts) -> StateCounts {
        StateCounts {
            pending: self.pending + other.pending,
            snoozed: self.snoozed + other.snoozed,
            muted: self.muted + other.muted,
            acknowledged: self.acknowledged + other.acknowledged,
        }
    }
}

/// Counts of the updates a filter matches, for what a dashboard shows above its list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    /// Pending updates: not acknowledged, not muted, not snoozed.
    pub pending: i64,
    /// Snoozed updates.
    pub snoozed: i64,
    /// Muted updates.
    pub muted: i64,
    /// Acknowledged updates.
    pub acknowledged: i64,
    /// All updates, in every state.
    pub total: i64,
    /// The pending update seen longest ago (the lowest `last_seen_at`), if any is pending.
    pub oldest_pending: Option<Update>,
    /// Per tag, by name ignoring case, then the untagged images (`tag` null) last;
    /// only groups holding at least one matching update.
    pub tags: Vec<TagCount>,
    /// Per Diun host, by name.
    pub hosts: Vec<HostCount>,
}

/// One tag's counts as a store reads them: the tag with its case-folded
/// sort key ([`TagName::key`]), or `None` for untagged images; its counts.
pub type TagCountRow = (Option<(TagRef, String)>, StateCounts);

impl Summary {
    /// Builds a summary from grouped counts, for [`Store`] implementations:
    /// `tags` holds per tag (or `None`) its case-folded sort key
    /// ([`TagName::key`]) and counts; `hosts` per host its counts.
    /// Groups with no update are left out.
    pub fn from_counts(
        tags: Vec<TagCountRow>,
        hosts: Vec<(String, StateCounts)>,
        oldest_pending: Option<Update>,
    ) -> Summary {
        let mut tags: Vec<_> = tags.into_iter().filter(|(_, counts)| counts.total() > 0).collect();
        // By name ignoring case, then id; untagged last.
        tags.sort_by(|(a, ..), (b, ..)| match (a, b) {
            (Some((a, a_key)), Some((b, b_key))) => a_key.cmp(b_key).then(a.id.cmp(&b.id)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        let mut hosts: Vec<_> = hosts.into_iter().filter(|(_, counts)| counts.total() > 0).collect();
        hosts.sort_by(|(a, _), (b, _)| a.cmp(b));
        let all = hosts.iter().fold(StateCounts::default(), |sum, (_, counts)| sum.plus(*counts));
        Summary {
            pending: all.pending,
            snoozed: all.snoozed,
            muted: all.muted,
            acknowledged: all.acknowledged,
            total: all.total(),
            oldest_pending,
            tags: tags
                .into_iter()
                .map(|(tag, counts)| TagCount {
                    tag: tag.map(|(tag, _)| tag),
                    pending: counts.pending,
                    snoozed: counts.snoozed,
                    muted: counts.muted,
                    acknowledged: counts.acknowledged,
                })
                .collect(),
            hosts: hosts
                .into_iter()
                .map(|(hostname, counts)| HostCount {
                    hostname,
                    pending: counts.pending,
                    snoozed: counts.snoozed,
                    muted: counts.muted,
                    acknowledged: counts.acknowledged,
                })
                .collect(),
        }
    }
}

/// Counts per tag by id (`None`: untagged) and per host, from which a
/// store makes a [`Summary`] (see [`Summary::from_counts`]).
pub type GroupedCounts = (Vec<(Option<i64>, StateCounts)>, Vec<(String, StateCounts)>);

/// Counts kept per tag and host (`None`: untagged), as stores keep them for
/// the summary, added up per tag and per host: the two lists that
/// [`Summary::from_counts`] takes (tags by id, before their names are known).
pub fn counts_by_tag_and_by_host(cells: impl IntoIterator<Item = (Option<i64>, String, StateCounts)>) -> GroupedCounts {
    let mut by_tag: BTreeMap<Option<i64>, StateCounts> = BTreeMap::new();
    let mut by_host: BTreeMap<String, StateCounts> = BTreeMap::new();
    for (tag, host, counts) in cells {
        let sum = by_tag.entry(tag).or_default();
        *sum = sum.plus(counts);
        let sum = by_host.entry(host).or_default();
        *sum = sum.plus(counts);
    }
    (by_tag.into_iter().collect(), by_host.into_iter().collect())
}

/// The updates of one tag (or of no tag) in a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagCount {
    /// The tag; `None` for images without one.
    pub tag: Option<TagRef>,
    /// Pending updates whose image carries it.
    pub pending: i64,
    /// Snoozed updates whose image carries it.
    pub snoozed: i64,
    /// Muted updates whose image carries it.
    pub muted: i64,
    /// Acknowledged updates whose image carries it.
    pub acknowledged: i64,
}

/// The updates of one host in a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HostCount {
    /// The Diun host.
    pub hostname: String,
    /// Its pending updates.
    pub pending: i64,
    /// Its snoozed updates.
    pub snoozed: i64,
    /// Its muted updates.
    pub muted: i64,
    /// Its acknowledged updates.
    pub acknowledged: i64,
}

/// Persistent storage of updates, their history and tags.
///
/// Methods are blocking: async callers run them on a thread made for
/// blocking work. Implementations must be safe to call from many threads at
/// once, and every method either applies completely or not at all.
///
/// Every method that changes data announces what it changed on the change
/// feed ([`Store::subscribe`]), after it commits, and only when something
/// did change: the [`Change`] named in each method's docs.
/// Identical changes committed together (notifications for one image
/// arriving at once and committed in one transaction) may be announced once.
///
/// Times are kept to the microsecond, as PostgreSQL keeps them: a store cuts
/// every time it is given ([`crate::export::truncate_to_micros`]), so that
/// `Utc::now()`, with its nanoseconds, comes back as the same instant from
/// every backend, and comparisons (`delete_acknowledged_before`) use it.
///
/// Implementing it yourself: every method is required, none has a default
/// that could silently do less than the contract says. While the crate is
/// at 0.x, a minor release may add methods (as triage and reminders did);
/// the conformance suite in `diun-store-tests` names each new duty with
/// its own scenarios, so running it after an upgrade shows what is missing.
pub trait Store: Send + Sync {
    /// Records a notification received at `received_at` and returns the update it produced.
    ///
    /// - An unknown `(hostname, image)` becomes a new pending update
    ///   (`pending_since` is `received_at`).
    /// - A known one with a different digest takes the new fields and becomes
    ///   pending again: its acknowledgment and snooze end (`pending_since`
    ///   becomes `received_at` when it was acknowledged).
    /// - A known one with the same digest only refreshes `last_seen_at` and
    ///   `event_count`, and keeps its acknowledgment, snooze and mute.
    ///
    /// A new update, or one with a new digest, is muted by the oldest mute
    /// rule covering it ([`crate::MuteRules::first_match`]), or unmuted when none does.
    ///
    /// Every call appends one event to the update's history, which keeps the
    /// newest [`StoreOptions::history_limit`] events.
    ///
    /// Announces [`Change::UpdateCreated`] for a new update, [`Change::UpdateChanged`] otherwise;
    /// [`Change::Unsnoozed`] when a new digest ended a snooze; [`Change::Muted`]
    /// or [`Change::Unmuted`] when its mute changed.
    fn record_notification(&self, notification: &Notification, received_at: DateTime<Utc>) -> StoreResult<Update>;

    /// Records several notifications in one transaction, each as
    /// [`Store::record_notification`] would, in order; returns their updates.
    /// Either all are stored or none is.
    ///
    /// One transaction costs one commit (one disk sync) for the whole batch:
    /// the way to take many notifications at once. The default records them
    /// one by one, without the all-or-none promise; the stores of this
    /// project override it.
    fn record_notifications(&self, batch: &[(Notification, DateTime<Utc>)]) -> StoreResult<Vec<Update>> {
        batch.iter().map(|(notification, at)| self.record_notification(notification, *at)).collect()
    }

    /// Records each notification of `batch` as [`Store::record_notification`]
    /// would, and returns one result per notification, in order: unlike
    /// [`Store::record_notifications`], a notification that cannot be stored
    /// fails alone, and the others are stored. A notification's update may
    /// come as a later notification of the same batch left it.
    ///
    /// For a caller that gathers the notifications arriving together and
    /// commits them in one go (the server's webhook queue, which so holds no
    /// thread per waiting webhook). The default records them one by one; the
    /// stores of this project commit the batch in one transaction, and each
    /// notification in one of its own only if that transaction fails.
    fn record_each(&self, batch: Vec<(Notification, DateTime<Utc>)>) -> Vec<StoreResult<Update>> {
        batch.iter().map(|(notification, at)| self.record_notification(notification, *at)).collect()
    }

    /// One page of the updates matching `filter`, most recently seen first
    /// (`last_seen_at` descending, then `id` descending).
    ///
    /// A walk that starts with [`PageRequest::first`] and follows each page's
    /// [`UpdatePage::next`] sees every update that existed at its first page
    /// exactly once, in the order of that moment, however the updates change
    /// meanwhile (see [`crate::page`]); each update comes with its current fields.
    fn list_updates(&self, filter: &UpdateFilter, page: &PageRequest) -> StoreResult<UpdatePage>;

    /// Counts of the updates matching `filter` (its `state` part is
    /// ignored): computed by the database, without loading the updates.
    fn summary(&self, filter: &UpdateFilter) -> StoreResult<Summary>;

    /// A number that every committed change of data advances, cheap to read:
    /// two equal readings mean nothing changed in between, so a reader can
    /// tell whether what it read is still current (HTTP `ETag`s).
    fn revision(&self) -> StoreResult<i64>;

    /// One update, or [`StoreError::NotFound`].
    fn get_update(&self, id: i64) -> StoreResult<Update>;

    /// An update's history, newest first, or [`StoreError::NotFound`] for an unknown update.
    fn list_events(&self, update_id: i64) -> StoreResult<Vec<UpdateEvent>>;

    /// Acknowledges an update at `at`, or makes it pending again.
    ///
    /// Acknowledging an acknowledged update keeps its first acknowledgment time.
    ///
    /// Announces [`Change::UpdatesAcknowledged`] or [`Change::UpdatesUnacknowledged`]
    /// when the update's state changed.
    fn set_acknowledged(&self, id: i64, acknowledged: bool, at: DateTime<Utc>) -> StoreResult<Update>;

    /// Acknowledges every update the selector covers that is not acknowledged
    /// yet (pending, snoozed or muted), all at the instant `at`; returns how
    /// many changed. Works at any size. Their snooze and mute are kept, so an
    /// undo brings each back as it was.
    ///
    /// Announces [`Change::UpdatesAcknowledged`] with the updates that changed, if any.
    fn acknowledge(&self, selector: &AckSelector, at: DateTime<Utc>) -> StoreResult<u64>;

    /// Makes every acknowledged update the selector covers pending again;
    /// returns how many changed.
    ///
    /// Announces [`Change::UpdatesUnacknowledged`] with the updates that changed, if any.
    fn unacknowledge(&self, selector: &UnackSelector) -> StoreResult<u64>;

    /// Snoozes every update the selector covers that is not acknowledged
    /// until `until`; returns how many changed (one already snoozed until
    /// exactly then does not). [`StoreError::NotFound`] for an unknown tag.
    ///
    /// Announces [`Change::Snoozed`] with the updates that changed, if any.
    fn snooze(&self, selector: &AckSelector, until: DateTime<Utc>) -> StoreResult<u64>;

    /// Ends the snooze of these updates; returns how many were snoozed.
    ///
    /// Announces [`Change::Unsnoozed`] with the updates that changed, if any.
    fn unsnooze(&self, ids: &[i64]) -> StoreResult<u64>;

    /// Ends every snooze due at `now` (`snoozed_until <= now`); returns how many.
    /// A server calls it every few seconds.
    ///
    /// Announces [`Change::Unsnoozed`] with the updates that changed, if any.
    fn wake_snoozed(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    /// Every mute rule, oldest first, each with how many updates it holds.
    fn list_mute_rules(&self) -> StoreResult<Vec<MuteRule>>;

    /// Makes a mute rule, and mutes with it every update it covers that is
    /// neither acknowledged nor muted by another rule.
    ///
    /// Announces [`Change::MuteRulesChanged`], and [`Change::Muted`] when it muted any.
    fn create_mute_rule(&self, rule: &NewMuteRule, at: DateTime<Utc>) -> StoreResult<MuteRule>;

    /// Deletes a mute rule; the updates it held are unmuted, then muted by the
    /// oldest other rule covering each, if any. [`StoreError::NotFound`] for an unknown rule.
    ///
    /// Announces [`Change::MuteRulesChanged`], [`Change::Unmuted`] for the
    /// updates left unmuted and [`Change::Muted`] for those another rule took.
    fn delete_mute_rule(&self, id: i64) -> StoreResult<()>;

    /// One page of the images of the updates matching `filter`, each once
    /// with its hosts and counts over those updates (see [`crate::image_group`]),
    /// grouped by the database.
    fn list_images(&self, filter: &UpdateFilter, page: &ImagePageRequest) -> StoreResult<ImagePage>;

    /// Removes an update and its history.
    ///
    /// Announces [`Change::UpdatesDeleted`].
    fn delete_update(&self, id: i64) -> StoreResult<()>;

    /// Removes acknowledged updates acknowledged before `cutoff`; returns how many.
    ///
    /// Announces [`Change::UpdatesDeleted`] with the removed updates, if any.
    fn delete_acknowledged_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64>;

    /// All tags by name, each with the number of images carrying it.
    fn list_tags(&self) -> StoreResult<Vec<Tag>>;

    /// Makes a tag; [`StoreError::Conflict`] when the name exists, ignoring case.
    ///
    /// Announces [`Change::TagCreated`].
    fn create_tag(&self, name: &TagName, at: DateTime<Utc>) -> StoreResult<Tag>;

    /// Renames a tag; [`StoreError::Conflict`] when another tag has the name.
    ///
    /// Announces [`Change::TagRenamed`], unless the name is the same as before.
    fn rename_tag(&self, id: i64, name: &TagName) -> StoreResult<Tag>;

    /// Deletes a tag and its assignments.
    ///
    /// Announces [`Change::TagDeleted`] (its images are untagged now).
    fn delete_tag(&self, id: i64) -> StoreResult<()>;

    /// Puts an image (on every host) under a tag, replacing its previous tag.
    ///
    /// Announces [`Change::AssignmentChanged`], unless the image had this tag already.
    fn assign_tag(&self, image: &str, tag_id: i64) -> StoreResult<TagRef>;

    /// Takes an image out of its tag; returns whether it had one.
    ///
    /// Announces [`Change::AssignmentChanged`] with no tag when it had one.
    fn unassign_tag(&self, image: &str) -> StoreResult<bool>;

    /// Puts each of `images` under the tag `tag_id`, or out of any tag with
    /// `None`, in one transaction; returns how many images changed.
    ///
    /// Announces [`Change::AssignmentChanged`] for each image that changed.
    fn set_image_tags(&self, images: &[String], tag_id: Option<i64>) -> StoreResult<u64>;

    /// Counts for dashboards and metrics.
    fn stats(&self) -> StoreResult<StoreStats>;

    /// Succeeds when the database answers a trivial query.
    fn ping(&self) -> StoreResult<()>;

    /// Subscribes to the change feed: every change committed from now on, by
    /// this process or (for a shared database such as PostgreSQL) by any
    /// process using the same database, is delivered once to the
    /// subscription, after its commit.
    ///
    /// Never blocks on the database. A feed that needs a connection of its
    /// own (PostgreSQL's `LISTEN`) makes it in the background; until it is
    /// up, and while it is broken, changes may be missed, and the
    /// subscription receives [`Change::Resync`] once the feed is whole again.
    /// [`ChangeSubscription::wait_connected`] waits for that when a caller
    /// must not miss a change. A subscription holds a bounded number of
    /// changes; a reader that falls further behind gets [`Change::Resync`]
    /// instead (see [`crate::feed`]). The subscription ends when the store is
    /// dropped.
    ///
    /// Fails only when the store cannot start its feed at all (it cannot
    /// start a thread).
    fn subscribe(&self) -> StoreResult<ChangeSubscription>;

    /// Claims the reminder slot `slot_time` of the schedule named `slot_key`
    /// for the caller: `true` when this call made the claim, `false` when it
    /// was claimed before, by this process or another sharing the database.
    /// Of any number of simultaneous claims of one slot, exactly one wins:
    /// that is how replicas send one reminder per slot, not one each.
    ///
    /// Claims are bookkeeping, not data: no revision, no change announced.
    /// Claims of slots more than [`REMINDER_CLAIMS_KEPT_DAYS`] days before
    /// `claimed_at` are forgotten.
    fn claim_reminder_slot(
        &self,
        slot_key: &str,
        slot_time: DateTime<Utc>,
        claimed_at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Gives every tag, assignment, mute rule, update and event to `sink`,
    /// from one snapshot, in the order of the export format
    /// ([`crate::export`]): tags, assignments, mute rules oldest first
    /// (numbered by [`crate::export::ExportedRules`]), then each update with
    /// its triage state, followed by its history, oldest event first. Stops
    /// at the first error of `sink` and returns it. Times are cut to
    /// microseconds. Returns how many records it gave.
    ///
    /// The default fails with [`StoreError::Invalid`]: export is not supported.
    fn export(&self, sink: &mut dyn FnMut(Record) -> StoreResult<()>) -> StoreResult<Counts> {
        let _ = sink;
        Err(StoreError::Invalid("this store cannot export".into()))
    }

    /// Writes `records` (as [`Store::export`] gives them, or an
    /// [`crate::export::ExportReader`] reads them) in one transaction: all of
    /// them, or nothing when any fails (the first error of `records` too).
    ///
    /// Unless `merge`, the database must hold no update, tag, assignment or
    /// mute rule: [`StoreError::Conflict`] otherwise. With `merge`, what the
    /// database has wins: see [`ImportReport::skipped`]. Updates keep every
    /// field, their snooze, mute and `pending_since` as given (no rule is
    /// applied afresh, to them or to the database's own updates), and all
    /// the events given, even beyond [`StoreOptions::history_limit`] (the
    /// next notification trims). Mute rules are made in stream order, so
    /// that the oldest of them is still the oldest; an update's `muted_by`
    /// becomes the id of its rule here ([`crate::export::ImportedRules`]).
    ///
    /// Announces [`Change::Resync`] when it wrote anything.
    ///
    /// The default fails with [`StoreError::Invalid`]: import is not supported.
    fn import(&self, records: &mut dyn Iterator<Item = StoreResult<Record>>, merge: bool) -> StoreResult<ImportReport> {
        let _ = (records, merge);
        Err(StoreError::Invalid("this store cannot import".into()))
    }
}
