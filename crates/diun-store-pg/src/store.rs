//! [`PgStore`]: the [`Store`] trait on PostgreSQL.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::dsl::{case_when, count, exists};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::Bool;
use diesel::upsert::excluded;
use diun_core::{
    AckSelector, Change, ChangeSubscription, Notification, Store, StoreError, StoreOptions, StoreResult, StoreStats,
    Tag, TagFilter, TagName, TagRef, Update, UpdateEvent, UpdateFilter,
};

use crate::connection::{connection_url, establish, run_migrations};
use crate::errors::{from_diesel, from_pool, TxError};
use crate::feed::{notify, PgFeed};
use crate::models::{metadata_json, EventRow, NewEvent, NotificationFields, TagRow, UpdateRow};
use crate::schema::{image_tags, tags, update_events, updates};

/// A [`Store`] on a PostgreSQL database.
///
/// Cloning is cheap and shares the connection pool. Several processes may
/// share one database: every rule holds across them, through the database's
/// own constraints and locks.
///
/// The change feed ([`Store::subscribe`]) carries the changes of every process
/// on the database, through PostgreSQL's `LISTEN`/`NOTIFY`: the first
/// subscription starts one listening connection (and thread) for the store
/// and its clones, which reconnects by itself and ends with the last clone.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<ConnectionManager<PgConnection>>,
    history_limit: i64,
    feed: Arc<PgFeed>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No URL: it may carry a password.
        f.debug_struct("PgStore").field("history_limit", &self.history_limit).finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database at `url`, brings its schema up to date, and
    /// builds the connection pool.
    ///
    /// `url` is anything libpq accepts: `postgres://user:password@host:5432/dbname`
    /// or `host=… dbname=…`. The database must exist. Unless `url` sets them,
    /// libpq's `connect_timeout` and `tcp_user_timeout` are derived from
    /// [`StoreOptions::connection_timeout`], so that an unreachable server
    /// makes operations fail with [`StoreError::Unavailable`] instead of hanging.
    ///
    /// Replicas opening the same database at once are safe: migrations run
    /// under a PostgreSQL advisory lock, one replica after the other.
    ///
    /// Opening fails when the server cannot be reached now; once open, the
    /// store reconnects by itself after the server comes back.
    pub fn open(url: &str, options: &StoreOptions) -> StoreResult<Self> {
        let url = connection_url(url, options.connection_timeout);

        // Migrate on one connection before the pool exists, so no pooled
        // connection ever sees a half-made schema.
        let mut conn = establish(&url)?;
        run_migrations(&mut conn)?;
        drop(conn);

        // Unchecked: connections are made in the background and on demand, and
        // every checkout tests its connection, so a server that goes away and
        // comes back costs failed operations (within `connection_timeout`), never a restart.
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(options.connection_timeout)
            .test_on_check_out(true)
            .build_unchecked(ConnectionManager::new(url.clone()));
        let feed = Arc::new(PgFeed::new(url, options.connection_timeout));
        Ok(PgStore { pool, history_limit: i64::from(options.history_limit.max(1)), feed })
    }

    /// Runs `work` on a pooled connection.
    fn with_conn<T>(&self, work: impl FnOnce(&mut PgConnection) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.pool.get().map_err(from_pool)?;
        work(&mut conn)
    }

    /// Runs `work` in a read-write transaction (READ COMMITTED: each
    /// statement's constraints and `ON CONFLICT` do the serialising).
    ///
    /// `work` lists what it changed; the list is sent on the change feed in
    /// the same transaction, so that it goes out if and when that commits.
    fn write<T>(&self, work: impl FnOnce(&mut PgConnection, &mut Vec<Change>) -> StoreResult<T>) -> StoreResult<T> {
        self.with_conn(|conn| {
            conn.transaction(|conn| {
                let mut changes = Vec::new();
                let result = work(conn, &mut changes).map_err(TxError)?;
                notify(conn, changes).map_err(TxError)?;
                Ok(result)
            })
            .map_err(|TxError(err)| err)
        })
    }

    /// Runs `work` in a read-only transaction on one snapshot.
    fn read<T>(&self, work: impl FnOnce(&mut PgConnection) -> StoreResult<T>) -> StoreResult<T> {
        self.with_conn(|conn| {
            conn.build_transaction()
                .read_only()
                .repeatable_read()
                .run(|conn| work(conn).map_err(TxError))
                .map_err(|TxError(err)| err)
        })
    }
}

/// The `SELECT` that every update listing shares: updates with their image's tag.
macro_rules! updates_with_tags {
    () => {
        updates::table
            .left_join(image_tags::table.on(image_tags::image.eq(updates::image)))
            .left_join(tags::table.on(tags::id.eq(image_tags::tag_id)))
    };
}

fn load_update(conn: &mut PgConnection, id: i64) -> StoreResult<Update> {
    let (row, tag) = updates_with_tags!()
        .filter(updates::id.eq(id))
        .select((UpdateRow::as_select(), (tags::id, tags::name).nullable()))
        .first::<(UpdateRow, Option<(i64, String)>)>(conn)
        .optional()
        .map_err(from_diesel)?
        .ok_or_else(|| not_found("update", id))?;
    row.into_update(tag)
}

fn not_found(what: &str, id: i64) -> StoreError {
    StoreError::NotFound(format!("{what} {id}"))
}

fn tag_exists(conn: &mut PgConnection, id: i64) -> StoreResult<bool> {
    diesel::select(exists(tags::table.filter(tags::id.eq(id)))).get_result(conn).map_err(from_diesel)
}

fn name_conflict(err: diesel::result::Error, name: &TagName) -> StoreError {
    match from_diesel(err) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("a tag named \"{name}\" already exists")),
        other => other,
    }
}

/// Whether PostgreSQL can hold `text` at all: `text` columns refuse NUL.
///
/// Stored text never contains NUL (the domain refuses it in notifications and
/// tag names), so text that does cannot match anything stored; the callers
/// answer accordingly instead of sending it and getting an error back.
fn storable(text: &str) -> bool {
    !text.contains('\0')
}

/// `ILIKE` pattern matching `text` anywhere, with LIKE's wildcards taken literally.
fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// In the `DO UPDATE` of [`Store::record_notification`]'s upsert: the stored
/// value while the digest is unchanged, the notification's value otherwise.
macro_rules! unless_same_digest {
    ($column:expr) => {
        case_when(updates::digest.eq(excluded(updates::digest)), $column).otherwise(excluded($column))
    };
}

impl Store for PgStore {
    fn record_notification(&self, n: &Notification, received_at: DateTime<Utc>) -> StoreResult<Update> {
        self.write(|conn, changes| {
            // One statement for the three rules, so that concurrent notifications
            // for one (hostname, image) serialise on its row:
            // - unknown pair: the row as inserted, pending;
            // - same digest: only last_seen_at and event_count change, and a
            //   re-sent notification does not bring back an acknowledged update;
            // - new digest: the notification's fields, pending again.
            let id: i64 = diesel::insert_into(updates::table)
                .values((
                    updates::hostname.eq(&n.hostname),
                    updates::image.eq(&n.image),
                    NotificationFields::new(n),
                    updates::first_seen_at.eq(received_at),
                    updates::last_seen_at.eq(received_at),
                    updates::event_count.eq(1),
                ))
                .on_conflict((updates::hostname, updates::image))
                .do_update()
                .set((
                    updates::status.eq(unless_same_digest!(updates::status)),
                    updates::provider.eq(unless_same_digest!(updates::provider)),
                    updates::hub_link.eq(unless_same_digest!(updates::hub_link)),
                    updates::mime_type.eq(unless_same_digest!(updates::mime_type)),
                    updates::created.eq(unless_same_digest!(updates::created)),
                    updates::platform.eq(unless_same_digest!(updates::platform)),
                    updates::diun_version.eq(unless_same_digest!(updates::diun_version)),
                    updates::metadata.eq(unless_same_digest!(updates::metadata)),
                    updates::acknowledged_at
                        .eq(case_when(updates::digest.eq(excluded(updates::digest)), updates::acknowledged_at)),
                    // Every SET expression reads the row as it was before the
                    // statement, so the digest comparisons above see the old digest.
                    updates::digest.eq(excluded(updates::digest)),
                    updates::last_seen_at.eq(excluded(updates::last_seen_at)),
                    updates::event_count.eq(updates::event_count + 1),
                ))
                .returning(updates::id)
                .get_result(conn)
                .map_err(from_diesel)?;
            diesel::insert_into(update_events::table)
                .values(NewEvent {
                    update_id: id,
                    received_at,
                    status: n.status.as_str(),
                    digest: &n.digest,
                    created: n.created,
                    diun_version: &n.diun_version,
                    metadata: metadata_json(&n.metadata),
                })
                .execute(conn)
                .map_err(from_diesel)?;
            // Keep the newest `history_limit` events: drop those older than the
            // oldest one to keep (none when there are fewer).
            let kept = diesel::alias!(update_events as kept);
            let oldest_kept = kept
                .filter(kept.field(update_events::update_id).eq(id))
                .order(kept.field(update_events::id).desc())
                .offset(self.history_limit - 1)
                .select(kept.field(update_events::id))
                .single_value();
            diesel::delete(
                update_events::table
                    .filter(update_events::update_id.eq(id))
                    .filter(update_events::id.nullable().lt(oldest_kept)),
            )
            .execute(conn)
            .map_err(from_diesel)?;
            let update = load_update(conn, id)?;
            // The upsert counts 1 only for a row it inserted.
            changes.push(if update.event_count == 1 {
                Change::UpdateCreated { id }
            } else {
                Change::UpdateChanged { id }
            });
            Ok(update)
        })
    }

    fn list_updates(&self, filter: &UpdateFilter) -> StoreResult<Vec<Update>> {
        let texts = [filter.host.as_deref(), filter.query.as_deref()];
        if !texts.into_iter().flatten().all(storable) {
            return Ok(Vec::new());
        }
        self.with_conn(|conn| {
            let mut query = updates_with_tags!()
                .select((UpdateRow::as_select(), (tags::id, tags::name).nullable()))
                .order((updates::last_seen_at.desc(), updates::id.desc()))
                .into_boxed();
            match filter.acknowledged {
                Some(true) => query = query.filter(updates::acknowledged_at.is_not_null()),
                Some(false) => query = query.filter(updates::acknowledged_at.is_null()),
                None => {}
            }
            match filter.tag {
                Some(TagFilter::Id(id)) => query = query.filter(image_tags::tag_id.nullable().eq(id)),
                Some(TagFilter::Untagged) => query = query.filter(image_tags::tag_id.nullable().is_null()),
                None => {}
            }
            if let Some(host) = &filter.host {
                query = query.filter(updates::hostname.eq(host));
            }
            if let Some(text) = filter.query.as_deref().filter(|t| !t.is_empty()) {
                query = query.filter(updates::image.ilike(contains_pattern(text)).escape('\\'));
            }
            let rows: Vec<(UpdateRow, Option<(i64, String)>)> = query.load(conn).map_err(from_diesel)?;
            rows.into_iter().map(|(row, tag)| row.into_update(tag)).collect()
        })
    }

    fn get_update(&self, id: i64) -> StoreResult<Update> {
        self.with_conn(|conn| load_update(conn, id))
    }

    fn list_events(&self, update_id: i64) -> StoreResult<Vec<UpdateEvent>> {
        self.read(|conn| {
            let known: bool = diesel::select(exists(updates::table.filter(updates::id.eq(update_id))))
                .get_result(conn)
                .map_err(from_diesel)?;
            if !known {
                return Err(not_found("update", update_id));
            }
            let rows: Vec<EventRow> = update_events::table
                .filter(update_events::update_id.eq(update_id))
                .order(update_events::id.desc())
                .select(EventRow::as_select())
                .load(conn)
                .map_err(from_diesel)?;
            rows.into_iter().map(UpdateEvent::try_from).collect()
        })
    }

    fn set_acknowledged(&self, id: i64, acknowledged: bool, at: DateTime<Utc>) -> StoreResult<Update> {
        self.write(|conn, changes| {
            let target = updates::table.filter(updates::id.eq(id));
            let changed = if acknowledged {
                // Only a pending update takes the time: the first acknowledgment counts.
                diesel::update(target.filter(updates::acknowledged_at.is_null()))
                    .set(updates::acknowledged_at.eq(at))
                    .execute(conn)
            } else {
                diesel::update(target.filter(updates::acknowledged_at.is_not_null()))
                    .set(updates::acknowledged_at.eq(None::<DateTime<Utc>>))
                    .execute(conn)
            }
            .map_err(from_diesel)?;
            let update = load_update(conn, id)?;
            if changed > 0 {
                let ids = vec![id];
                changes.push(if acknowledged {
                    Change::UpdatesAcknowledged { ids }
                } else {
                    Change::UpdatesUnacknowledged { ids }
                });
            }
            Ok(update)
        })
    }

    fn acknowledge(&self, selector: &AckSelector, at: DateTime<Utc>) -> StoreResult<u64> {
        self.write(|conn, changes| {
            let covered: Box<dyn BoxableExpression<updates::table, Pg, SqlType = Bool> + '_> = match selector {
                AckSelector::Ids(ids) => Box::new(updates::id.eq_any(ids)),
                AckSelector::Tag(tag_id) => {
                    if !tag_exists(conn, *tag_id)? {
                        return Err(not_found("tag", *tag_id));
                    }
                    let images = image_tags::table.filter(image_tags::tag_id.eq(*tag_id)).select(image_tags::image);
                    Box::new(updates::image.eq_any(images))
                }
                AckSelector::All => Box::new(true.into_sql::<Bool>()),
            };
            let mut changed: Vec<i64> =
                diesel::update(updates::table.filter(updates::acknowledged_at.is_null()).filter(covered))
                    .set(updates::acknowledged_at.eq(at))
                    .returning(updates::id)
                    .load(conn)
                    .map_err(from_diesel)?;
            changed.sort_unstable();
            let count = changed.len() as u64;
            if !changed.is_empty() {
                changes.push(Change::UpdatesAcknowledged { ids: changed });
            }
            Ok(count)
        })
    }

    fn delete_update(&self, id: i64) -> StoreResult<()> {
        self.write(|conn, changes| {
            // Its history goes with it through ON DELETE CASCADE.
            let deleted =
                diesel::delete(updates::table.filter(updates::id.eq(id))).execute(conn).map_err(from_diesel)?;
            if deleted == 0 {
                return Err(not_found("update", id));
            }
            changes.push(Change::UpdatesDeleted { ids: vec![id] });
            Ok(())
        })
    }

    fn delete_acknowledged_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
        self.write(|conn, changes| {
            let mut deleted: Vec<i64> = diesel::delete(updates::table.filter(updates::acknowledged_at.lt(cutoff)))
                .returning(updates::id)
                .load(conn)
                .map_err(from_diesel)?;
            deleted.sort_unstable();
            let count = deleted.len() as u64;
            if !deleted.is_empty() {
                changes.push(Change::UpdatesDeleted { ids: deleted });
            }
            Ok(count)
        })
    }

    fn list_tags(&self) -> StoreResult<Vec<Tag>> {
        self.with_conn(|conn| {
            // name_key is collated "C" (code point order) by the migration, like SQLite's BINARY.
            let rows: Vec<(TagRow, i64)> = tags::table
                .left_join(image_tags::table)
                .group_by(tags::id)
                .select((TagRow::as_select(), count(image_tags::image.nullable())))
                .order((tags::name_key.asc(), tags::id.asc()))
                .load(conn)
                .map_err(from_diesel)?;
            Ok(rows.into_iter().map(|(row, images)| row.into_tag(images)).collect())
        })
    }

    fn create_tag(&self, name: &TagName, at: DateTime<Utc>) -> StoreResult<Tag> {
        self.write(|conn, changes| {
            let row: TagRow = diesel::insert_into(tags::table)
                .values((tags::name.eq(name.as_str()), tags::name_key.eq(name.key()), tags::created_at.eq(at)))
                .returning(TagRow::as_returning())
                .get_result(conn)
                .map_err(|err| name_conflict(err, name))?;
            changes.push(Change::TagCreated { id: row.id });
            Ok(row.into_tag(0))
        })
    }

    fn rename_tag(&self, id: i64, name: &TagName) -> StoreResult<Tag> {
        self.write(|conn, changes| {
            // FOR UPDATE: the name compared is the one this rename replaces.
            let before: Option<String> = tags::table
                .filter(tags::id.eq(id))
                .select(tags::name)
                .for_update()
                .first(conn)
                .optional()
                .map_err(from_diesel)?;
            let row: TagRow = diesel::update(tags::table.filter(tags::id.eq(id)))
                .set((tags::name.eq(name.as_str()), tags::name_key.eq(name.key())))
                .returning(TagRow::as_returning())
                .get_result(conn)
                .optional()
                .map_err(|err| name_conflict(err, name))?
                .ok_or_else(|| not_found("tag", id))?;
            let images: i64 =
                image_tags::table.filter(image_tags::tag_id.eq(id)).count().get_result(conn).map_err(from_diesel)?;
            if before.as_deref() != Some(name.as_str()) {
                changes.push(Change::TagRenamed { id });
            }
            Ok(row.into_tag(images))
        })
    }

    fn delete_tag(&self, id: i64) -> StoreResult<()> {
        self.write(|conn, changes| {
            // Assignments go with it through ON DELETE CASCADE.
            let deleted = diesel::delete(tags::table.filter(tags::id.eq(id))).execute(conn).map_err(from_diesel)?;
            if deleted == 0 {
                return Err(not_found("tag", id));
            }
            changes.push(Change::TagDeleted { id });
            Ok(())
        })
    }

    fn assign_tag(&self, image: &str, tag_id: i64) -> StoreResult<TagRef> {
        self.write(|conn, changes| {
            // FOR SHARE: a concurrent delete_tag waits for this transaction
            // instead of leaving an assignment to a vanished tag.
            let name: String = tags::table
                .filter(tags::id.eq(tag_id))
                .select(tags::name)
                .for_share()
                .first(conn)
                .optional()
                .map_err(from_diesel)?
                .ok_or_else(|| not_found("tag", tag_id))?;
            if !storable(image) {
                return Err(StoreError::Invalid("an image reference must not contain a NUL character".into()));
            }
            // FOR UPDATE: the tag compared is the one this assignment replaces.
            let before: Option<i64> = image_tags::table
                .filter(image_tags::image.eq(image))
                .select(image_tags::tag_id)
                .for_update()
                .first(conn)
                .optional()
                .map_err(from_diesel)?;
            diesel::insert_into(image_tags::table)
                .values((image_tags::image.eq(image), image_tags::tag_id.eq(tag_id)))
                .on_conflict(image_tags::image)
                .do_update()
                .set(image_tags::tag_id.eq(tag_id))
                .execute(conn)
                .map_err(from_diesel)?;
            if before != Some(tag_id) {
                changes.push(Change::AssignmentChanged { image: image.to_owned(), tag_id: Some(tag_id) });
            }
            Ok(TagRef { id: tag_id, name })
        })
    }

    fn unassign_tag(&self, image: &str) -> StoreResult<bool> {
        if !storable(image) {
            return Ok(false);
        }
        self.write(|conn, changes| {
            let deleted = diesel::delete(image_tags::table.filter(image_tags::image.eq(image)))
                .execute(conn)
                .map_err(from_diesel)?;
            if deleted > 0 {
                changes.push(Change::AssignmentChanged { image: image.to_owned(), tag_id: None });
            }
            Ok(deleted > 0)
        })
    }

    fn stats(&self) -> StoreResult<StoreStats> {
        self.read(|conn| {
            let pending: Vec<(String, i64)> = updates::table
                .filter(updates::acknowledged_at.is_null())
                .group_by(updates::hostname)
                .select((updates::hostname, count(updates::id)))
                .load(conn)
                .map_err(from_diesel)?;
            let acknowledged: i64 = updates::table
                .filter(updates::acknowledged_at.is_not_null())
                .count()
                .get_result(conn)
                .map_err(from_diesel)?;
            let tags: i64 = tags::table.count().get_result(conn).map_err(from_diesel)?;
            Ok(StoreStats { pending_by_host: pending.into_iter().collect(), acknowledged, tags })
        })
    }

    fn ping(&self) -> StoreResult<()> {
        self.with_conn(|conn| diesel::sql_query("SELECT 1").execute(conn).map(drop).map_err(from_diesel))
    }

    fn subscribe(&self) -> StoreResult<ChangeSubscription> {
        self.feed.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("my_app"), "%my\\_app%");
        assert_eq!(contains_pattern("50%\\"), "%50\\%\\\\%");
    }
}
