//! The storage contract: every backend implements [`Store`].

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

#[cfg(doc)]
use crate::Change;
use crate::{AckSelector, ChangeSubscription, Notification, Tag, TagName, TagRef, Update, UpdateEvent, UpdateFilter};

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
    /// Anything else the backend reported.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

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

/// Persistent storage of updates, their history and tags.
///
/// Methods are blocking: async callers run them on a thread made for
/// blocking work. Implementations must be safe to call from many threads at
/// once, and every method either applies completely or not at all.
///
/// Every method that changes data announces what it changed on the change
/// feed ([`Store::subscribe`]), after it commits, and only when something
/// did change: the [`Change`] named in each method's docs.
pub trait Store: Send + Sync {
    /// Records a notification received at `received_at` and returns the update it produced.
    ///
    /// - An unknown `(hostname, image)` becomes a new pending update.
    /// - A known one with a different digest takes the new fields and becomes pending again.
    /// - A known one with the same digest only refreshes `last_seen_at` and
    ///   `event_count`, and keeps its acknowledgment.
    ///
    /// Every call appends one event to the update's history, which keeps the
    /// newest [`StoreOptions::history_limit`] events.
    ///
    /// Announces [`Change::UpdateCreated`] for a new update, [`Change::UpdateChanged`] otherwise.
    fn record_notification(&self, notification: &Notification, received_at: DateTime<Utc>) -> StoreResult<Update>;

    /// Lists the updates matching `filter`, most recently seen first.
    fn list_updates(&self, filter: &UpdateFilter) -> StoreResult<Vec<Update>>;

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

    /// Acknowledges every pending update the selector covers; returns how many changed.
    ///
    /// Announces [`Change::UpdatesAcknowledged`] with the updates that changed, if any.
    fn acknowledge(&self, selector: &AckSelector, at: DateTime<Utc>) -> StoreResult<u64>;

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

    /// Counts for dashboards and metrics.
    fn stats(&self) -> StoreResult<StoreStats>;

    /// Succeeds when the database answers a trivial query.
    fn ping(&self) -> StoreResult<()>;

    /// Subscribes to the change feed: every change committed from now on, by
    /// this process or (for a shared database such as PostgreSQL) by any
    /// process using the same database, is delivered once to the
    /// subscription, after its commit.
    ///
    /// When the store cannot promise that (its connection to the database is
    /// down), this fails with [`StoreError::Unavailable`]; when a feed that
    /// was working may have missed changes, it delivers
    /// [`Change::Resync`]. The subscription ends when
    /// the store is dropped.
    fn subscribe(&self) -> StoreResult<ChangeSubscription>;
}
