//! [`PgStore`]: the [`Store`] trait on PostgreSQL.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::dsl::{case_when, count, exists, sql};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::r2d2::{ConnectionManager, Pool, R2D2Connection};
use diesel::sql_types::{BigInt, Nullable, Timestamptz};
use diun_core::export::{Counts, ImportReport, Record};
use diun_core::{
    assemble_page, counts_by_tag_and_by_host, search_text, AckSelector, Change, ChangeSubscription, GroupCommit,
    GroupedCounts, ImagePage, ImagePageRequest, MuteRule, NewMuteRule, Notification, PageRequest, StateCounts, Store,
    StoreError, StoreOptions, StoreResult, StoreStats, Summary, Tag, TagFilter, TagName, TagRef, UnackSelector, Update,
    UpdateEvent, UpdateFilter, UpdatePage, UpdateState,
};
use scheduled_thread_pool::ScheduledThreadPool;

use crate::connection::{connection_url, establish, run_migrations};
use crate::errors::{from_diesel, from_pool, TxError};
use crate::feed::{notify, PgFeed};
use crate::models::{EventRow, TagRow, UpdateRow};
use crate::record::{record_batch, RulesCache};
use crate::schema::{data_revision, image_tags, reminder_runs, tags, update_counts, update_events, updates};

/// A [`Store`] on a PostgreSQL database.
///
/// Cloning is cheap and shares the connection pool. Several processes may
/// share one database: every rule holds across them, through the database's
/// own constraints and locks.
///
/// The change feed ([`Store::subscribe`]) carries the changes of every process
/// on the database, through PostgreSQL's `LISTEN`/`NOTIFY`: the first
/// subscription starts one listening connection (and thread) for the store
/// and its clones, in the background, which reconnects by itself and ends
/// with the last clone. Subscribing never waits for it: see
/// [`ChangeSubscription::wait_connected`](diun_core::ChangeSubscription::wait_connected).
#[derive(Clone)]
pub struct PgStore {
    /// Readers' connections.
    pool: Pool<ConnectionManager<PgConnection>>,
    /// Writers' connections, apart, so that readers never hold what a writer needs.
    writer_pool: Pool<ConnectionManager<PgConnection>>,
    history_limit: i64,
    feed: Arc<PgFeed>,
    /// How long a notification may wait for a commit to take it.
    wait_limit: std::time::Duration,
    /// Notifications arriving together are committed together.
    notifications: Arc<GroupCommit<Received, StoreResult<Update>>>,
    /// The mute rules, read again only after they change.
    rules: Arc<RulesCache>,
}

/// A notification and when it arrived: one item of a group commit.
type Received = (Notification, DateTime<Utc>);

/// The most notifications committed in one transaction.
const MAX_BATCH: usize = 256;

/// Connections kept for writes, beside the readers' pool.
const WRITER_CONNECTIONS: u32 = 2;

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
        fill_search_text(&mut conn)?;
        drop(conn);

        // Unchecked: connections are made in the background and on demand, so
        // a server that goes away and comes back costs failed operations
        // (within `connection_timeout`), never a restart. A checkout sends no
        // test query (a round trip on every operation): a connection that died
        // in the pool is found out by its first statement instead, and the
        // operation moves to another connection (see `on_connection`).
        // One background thread makes and retires the connections of both
        // pools (r2d2 starts three per pool): idle threads cost memory.
        let pool_thread =
            Arc::new(ScheduledThreadPool::builder().num_threads(1).thread_name_pattern("pg-pool").build());
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(options.connection_timeout)
            .test_on_check_out(false)
            .thread_pool(Arc::clone(&pool_thread))
            .build_unchecked(ConnectionManager::new(url.clone()));
        let writer_pool = Pool::builder()
            .max_size(WRITER_CONNECTIONS)
            .min_idle(Some(0))
            .connection_timeout(options.connection_timeout)
            .test_on_check_out(false)
            .thread_pool(pool_thread)
            .build_unchecked(ConnectionManager::new(url.clone()));
        let feed = Arc::new(PgFeed::new(url));
        Ok(PgStore {
            pool,
            writer_pool,
            history_limit: i64::from(options.history_limit.max(1)),
            feed,
            wait_limit: options.connection_timeout,
            notifications: Arc::new(GroupCommit::new(MAX_BATCH)),
            rules: Arc::default(),
        })
    }

    /// Commits a batch of notifications in one transaction.
    ///
    /// Should a statement of the batch fail, the transaction was rolled back
    /// and each notification is tried alone, so that one bad notification
    /// cannot fail the others. Should the commit itself fail (a connection
    /// cut while committing), whether it happened is unknown: every
    /// notification of the batch fails as unavailable, none is tried again,
    /// so that none can be stored twice.
    fn commit_notifications(&self, batch: Vec<Received>) -> Vec<StoreResult<Update>> {
        let statements_done = std::cell::Cell::new(false);
        let record_all = |batch: &[Received]| {
            statements_done.set(false);
            self.write_notifications(|conn, changes| {
                let updates = record_batch(conn, changes, &self.rules, self.history_limit, batch)?;
                statements_done.set(true);
                Ok(updates)
            })
        };
        match record_all(&batch) {
            Ok(updates) => updates.into_iter().map(Ok).collect(),
            Err(err) if batch.len() == 1 || statements_done.get() => {
                batch.iter().map(|_| Err(err.duplicate())).collect()
            }
            Err(_) => batch.chunks(1).map(|one| record_all(one).map(|mut updates| updates.remove(0))).collect(),
        }
    }

    /// Runs `attempt` on a connection of `pool`.
    ///
    /// A connection that died while idle in the pool (the server restarted,
    /// a network cut) is found out by the first statement sent on it, which
    /// fails and leaves the connection broken: r2d2 drops it instead of
    /// putting it back. When `repeatable` says that nothing of the operation
    /// happened yet, it is tried again on another connection, for as long as
    /// the wait limit lasts; so a dead pooled connection costs no failed
    /// request, and a live one no test query.
    fn on_connection<T>(
        &self,
        pool: &Pool<ConnectionManager<PgConnection>>,
        repeatable: &dyn Fn() -> bool,
        mut attempt: impl FnMut(&mut PgConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let started = Instant::now();
        loop {
            let mut conn = pool.get().map_err(from_pool)?;
            match attempt(&mut conn) {
                Err(StoreError::Unavailable(reason))
                    if conn.is_broken() && repeatable() && started.elapsed() < self.wait_limit =>
                {
                    log::info!("a pooled PostgreSQL connection was lost ({reason}); trying another");
                }
                result => return result,
            }
        }
    }

    /// Runs one read statement, `work`, on a pooled connection.
    fn with_conn<T>(&self, work: impl Fn(&mut PgConnection) -> StoreResult<T>) -> StoreResult<T> {
        // A read: trying it again changes nothing.
        self.on_connection(&self.pool, &|| true, work)
    }

    /// Runs `work` in a read-write transaction (READ COMMITTED: each
    /// statement's constraints and `ON CONFLICT` do the serialising).
    ///
    /// `work` lists what it changed; the list is sent on the change feed in
    /// the same transaction, so that it goes out if and when that commits.
    /// The transaction locks the revision row before `work` runs (see
    /// [`Start::LockRevision`]).
    pub(crate) fn write<T>(&self, work: impl FnOnce(&mut PgConnection, &mut Tx) -> StoreResult<T>) -> StoreResult<T> {
        self.write_from(Start::LockRevision, work)
    }

    /// [`Self::write`] for notifications, which always change something:
    /// the revision is taken first, with no statement of its own to lock it.
    fn write_notifications<T>(
        &self,
        work: impl FnOnce(&mut PgConnection, &mut Tx) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.write_from(Start::TakeRevision, work)
    }

    fn write_from<T>(
        &self,
        start: Start,
        work: impl FnOnce(&mut PgConnection, &mut Tx) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut work = Some(work);
        // Tried again only when the transaction never began (its BEGIN failed).
        let began = Cell::new(false);
        self.on_connection(&self.writer_pool, &|| !began.get(), |conn| {
            conn.transaction(|conn| {
                began.set(true);
                let work = work.take().expect("a transaction that began is not tried again");
                let mut tx = Tx::default();
                // The revision row is the first lock that every write
                // transaction takes, so that no two of them ever hold rows
                // that the other waits for (the summary's count rows, which
                // triggers update, above all).
                match start {
                    Start::TakeRevision => {
                        tx.revision(conn).map_err(TxError)?;
                    }
                    Start::LockRevision => {
                        LockRevision.execute(conn).map_err(from_diesel).map_err(TxError)?;
                    }
                }
                let result = work(conn, &mut tx).map_err(TxError)?;
                // Whatever changed advances the revision, in the same transaction.
                if !tx.changes.is_empty() {
                    tx.revision(conn).map_err(TxError)?;
                }
                notify(conn, tx.changes).map_err(TxError)?;
                Ok(result)
            })
            .map_err(|TxError(err)| err)
        })
    }

    /// Runs `work` in a read-only transaction on one snapshot.
    pub(crate) fn read<T>(&self, work: impl FnOnce(&mut PgConnection) -> StoreResult<T>) -> StoreResult<T> {
        let mut work = Some(work);
        let began = Cell::new(false);
        self.on_connection(&self.pool, &|| !began.get(), |conn| {
            conn.build_transaction()
                .read_only()
                .repeatable_read()
                .run(|conn| {
                    began.set(true);
                    let work = work.take().expect("a transaction that began is not tried again");
                    work(conn).map_err(TxError)
                })
                .map_err(|TxError(err)| err)
        })
    }
}

/// How a write transaction begins: see [`PgStore::write`].
#[derive(Clone, Copy)]
enum Start {
    /// Lock the revision row, and advance the revision at the end only if
    /// something changed (a write that changes nothing leaves the `ETag`s of
    /// every reader as they are).
    LockRevision,
    /// Take the next revision at once.
    TakeRevision,
}

/// What a write transaction did: the changes for the feed, and the revision
/// it took (at most one per transaction).
#[derive(Default)]
pub(crate) struct Tx {
    changes: Vec<Change>,
    /// The revision taken, and the count of mute rule changes read with it.
    revision: Option<(i64, i64)>,
}

impl Tx {
    /// Records a change, announced with the commit.
    pub(crate) fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// Records changes, announced with the commit.
    pub(crate) fn extend(&mut self, changes: impl IntoIterator<Item = Change>) {
        self.changes.extend(changes);
    }

    /// How many times the mute rules have changed, as of this transaction's
    /// revision (taken if it was not yet).
    pub(crate) fn rules_revision(&mut self, conn: &mut PgConnection) -> StoreResult<i64> {
        self.revisions(conn).map(|(_, rules)| rules)
    }

    /// This transaction's revision: the next one, taken on first use.
    ///
    /// Taking it locks the revision row until the commit, so transactions
    /// that take revisions commit in the order of their revisions: a reader
    /// that sees revision R also sees everything written at or before R.
    pub(crate) fn revision(&mut self, conn: &mut PgConnection) -> StoreResult<i64> {
        self.revisions(conn).map(|(revision, _)| revision)
    }

    /// This transaction's revision and the count of mute rule changes, read
    /// from the row version it locked: once a rule's transaction commits,
    /// the count that a waiting webhook reads already includes it.
    fn revisions(&mut self, conn: &mut PgConnection) -> StoreResult<(i64, i64)> {
        if let Some(revisions) = self.revision {
            return Ok(revisions);
        }
        let revisions = NextRevision.get_result(conn).map_err(from_diesel)?;
        self.revision = Some(revisions);
        Ok(revisions)
    }
}

/// Takes the next revision: a query type of its own, so that diesel keeps it
/// prepared (an `UPDATE` built with the DSL is prepared on every run, which
/// costs a second round trip).
#[derive(Clone, Copy)]
struct NextRevision;

impl QueryId for NextRevision {
    type QueryId = NextRevision;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for NextRevision {
    type SqlType = (BigInt, BigInt);
}

impl RunQueryDsl<PgConnection> for NextRevision {}

impl QueryFragment<Pg> for NextRevision {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("UPDATE data_revision SET revision = revision + 1 RETURNING revision, rules_revision");
        Ok(())
    }
}

/// The summary's counts per tag and host from `update_counts`, which
/// triggers keep up to date (see its migration), when the filter asks only
/// for a tag or a host; `None` when it asks for more (a search, an image).
fn kept_counts(conn: &mut PgConnection, filter: &UpdateFilter) -> StoreResult<Option<GroupedCounts>> {
    let UpdateFilter { state: _, image: None, pending_before: None, tag, host, query: _ } = filter else {
        return Ok(None);
    };
    if !filter.search_terms().is_empty() {
        return Ok(None);
    }
    let mut query = update_counts::table
        .select((
            update_counts::tag_id,
            update_counts::hostname,
            (update_counts::pending, update_counts::snoozed, update_counts::muted, update_counts::acknowledged),
        ))
        .into_boxed();
    match tag {
        Some(TagFilter::Id(id)) => query = query.filter(update_counts::tag_id.eq(*id)),
        Some(TagFilter::Untagged) => query = query.filter(update_counts::tag_id.eq(UNTAGGED)),
        None => {}
    }
    if let Some(host) = host {
        query = query.filter(update_counts::hostname.eq(host.clone()));
    }
    let cells: Vec<(i64, String, CountColumns)> = query.load(conn).map_err(from_diesel)?;
    let cells =
        cells.into_iter().map(|(tag, host, counts)| ((tag != UNTAGGED).then_some(tag), host, counts_of(counts)));
    Ok(Some(counts_by_tag_and_by_host(cells)))
}

/// The `update_counts.tag_id` of images without a tag.
const UNTAGGED: i64 = 0;

/// The summary's counts per tag and per host, counted from the rows: for
/// the filters that `update_counts` cannot answer.
fn counted(conn: &mut PgConnection, filter: &UpdateFilter) -> StoreResult<GroupedCounts> {
    let tagged: Vec<(i64, CountColumns)> = filtered!(
        image_tags::table
            .inner_join(updates::table.on(updates::image.eq(image_tags::image)))
            .group_by(image_tags::tag_id)
            .select((image_tags::tag_id, state_counts!()))
            .into_boxed(),
        filter
    )
    .load(conn)
    .map_err(from_diesel)?;
    let untagged = UpdateFilter { tag: Some(TagFilter::Untagged), ..filter.clone() };
    let untagged_counts: CountColumns =
        filtered!(updates::table.select(state_counts!()).into_boxed(), &untagged).first(conn).map_err(from_diesel)?;
    // A tag filter leaves no untagged update (the query above replaced the filter's tag).
    let untagged_counts =
        if matches!(filter.tag, Some(TagFilter::Id(_))) { StateCounts::default() } else { counts_of(untagged_counts) };
    let by_tag =
        tagged.into_iter().map(|(id, counts)| (Some(id), counts_of(counts))).chain([(None, untagged_counts)]).collect();
    let by_host: Vec<(String, CountColumns)> = filtered!(
        updates::table.group_by(updates::hostname).select((updates::hostname, state_counts!())).into_boxed(),
        filter
    )
    .load(conn)
    .map_err(from_diesel)?;
    let by_host = by_host.into_iter().map(|(host, counts)| (host, counts_of(counts))).collect();
    Ok((by_tag, by_host))
}

/// Locks the revision row until the commit, without advancing it; kept
/// prepared like [`NextRevision`].
#[derive(Clone, Copy)]
struct LockRevision;

impl QueryId for LockRevision {
    type QueryId = LockRevision;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl RunQueryDsl<PgConnection> for LockRevision {}

impl QueryFragment<Pg> for LockRevision {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT revision FROM data_revision FOR UPDATE");
        Ok(())
    }
}

/// Computes the search text of rows written before it was kept (it needs
/// Rust's case folding, so no SQL migration can fill it in).
fn fill_search_text(conn: &mut PgConnection) -> StoreResult<()> {
    loop {
        let rows: Vec<(i64, String, String, serde_json::Value)> = updates::table
            .filter(updates::search_text.eq(""))
            .select((updates::id, updates::image, updates::hostname, updates::metadata))
            .limit(1000)
            .load(conn)
            .map_err(from_diesel)?;
        if rows.is_empty() {
            return Ok(());
        }
        conn.transaction(|conn| {
            for (id, image, hostname, metadata) in rows {
                let metadata = serde_json::from_value(metadata).unwrap_or_default();
                diesel::update(updates::table.filter(updates::id.eq(id)))
                    .set(updates::search_text.eq(search_text(&image, &hostname, &metadata)))
                    .execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .map_err(from_diesel)?;
    }
}

/// The current revision.
fn current_revision(conn: &mut PgConnection) -> StoreResult<i64> {
    data_revision::table.select(data_revision::revision).first(conn).map_err(from_diesel)
}

/// The condition of a pending update: not acknowledged, not muted, not
/// snoozed (in the words of the partial index `updates_pending`).
macro_rules! pending_now {
    () => {
        updates::acknowledged_at.is_null().and(updates::muted_by.is_null()).and(updates::snoozed_until.is_null())
    };
}
pub(crate) use pending_now;

/// Counts per state, for a grouped `SELECT`: pending, snoozed, muted,
/// acknowledged (COUNT skips NULLs: a CASE without ELSE counts its condition).
macro_rules! state_counts {
    () => {
        (
            count(case_when(pending_now!(), 1_i64.into_sql::<BigInt>())),
            count(case_when(
                updates::acknowledged_at
                    .is_null()
                    .and(updates::muted_by.is_null())
                    .and(updates::snoozed_until.is_not_null()),
                1_i64.into_sql::<BigInt>(),
            )),
            count(case_when(
                updates::acknowledged_at.is_null().and(updates::muted_by.is_not_null()),
                1_i64.into_sql::<BigInt>(),
            )),
            count(updates::acknowledged_at),
        )
    };
}
pub(crate) use state_counts;

/// Counts read by [`state_counts!`].
pub(crate) type CountColumns = (i64, i64, i64, i64);

pub(crate) fn counts_of((pending, snoozed, muted, acknowledged): CountColumns) -> StateCounts {
    StateCounts { pending, snoozed, muted, acknowledged }
}

/// Whether every text of `filter` can be stored (see [`storable`]): a filter
/// with one that cannot matches nothing.
pub(crate) fn filter_storable(filter: &UpdateFilter) -> bool {
    [filter.host.as_deref(), filter.query.as_deref(), filter.image.as_deref()].into_iter().flatten().all(storable)
}

/// Narrows a boxed query over `updates` (joined with tags or not) to `$filter`.
macro_rules! filtered {
    ($query:expr, $filter:expr) => {{
        let filter: &UpdateFilter = $filter;
        let mut query = $query;
        match filter.state {
            Some(UpdateState::Acknowledged) => query = query.filter(updates::acknowledged_at.is_not_null()),
            Some(UpdateState::Muted) => {
                query = query.filter(updates::acknowledged_at.is_null()).filter(updates::muted_by.is_not_null())
            }
            Some(UpdateState::Snoozed) => {
                query = query
                    .filter(updates::acknowledged_at.is_null())
                    .filter(updates::muted_by.is_null())
                    .filter(updates::snoozed_until.is_not_null())
            }
            Some(UpdateState::Pending) => query = query.filter(pending_now!()),
            None => {}
        }
        if let Some(before) = filter.pending_before {
            query = query.filter(pending_now!()).filter(updates::pending_since.lt(before));
        }
        if let Some(image) = &filter.image {
            query = query.filter(updates::image.eq(image.clone()));
        }
        // A subquery on an alias, so that it works whether the query joins image_tags or not.
        let tagged = diesel::alias!(image_tags as tagged);
        match filter.tag {
            Some(TagFilter::Id(id)) => {
                let images =
                    tagged.filter(tagged.field(image_tags::tag_id).eq(id)).select(tagged.field(image_tags::image));
                query = query.filter(updates::image.eq_any(images))
            }
            Some(TagFilter::Untagged) => {
                query = query.filter(updates::image.ne_all(tagged.select(tagged.field(image_tags::image))))
            }
            None => {}
        }
        if let Some(host) = &filter.host {
            query = query.filter(updates::hostname.eq(host.clone()));
        }
        // Both sides are folded by Rust: a plain (case-sensitive) LIKE compares
        // exactly what SQLite compares.
        for term in filter.search_terms() {
            query = query.filter(updates::search_text.like(contains_pattern(&term)).escape('\\'));
        }
        query
    }};
}
pub(crate) use filtered;

/// The tag columns of a listing row: its id and name, when the image has a tag.
type TagColumns = Option<(i64, String)>;

/// The `SELECT` that every update listing shares: updates with their image's tag.
macro_rules! updates_with_tags {
    () => {
        updates::table
            .left_join(image_tags::table.on(image_tags::image.eq(updates::image)))
            .left_join(tags::table.on(tags::id.eq(image_tags::tag_id)))
    };
}

pub(crate) fn load_update(conn: &mut PgConnection, id: i64) -> StoreResult<Update> {
    let (row, tag) = updates_with_tags!()
        .filter(updates::id.eq(id))
        .select((UpdateRow::as_select(), (tags::id, tags::name).nullable()))
        .first::<(UpdateRow, Option<(i64, String)>)>(conn)
        .optional()
        .map_err(from_diesel)?
        .ok_or_else(|| not_found("update", id))?;
    row.into_update(tag)
}

pub(crate) fn not_found(what: &str, id: i64) -> StoreError {
    StoreError::NotFound(format!("{what} {id}"))
}

pub(crate) fn tag_exists(conn: &mut PgConnection, id: i64) -> StoreResult<bool> {
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
pub(crate) fn storable(text: &str) -> bool {
    !text.contains('\0')
}

/// Has the rest of the transaction's statements planned for their search
/// pattern, when `filter` searches.
///
/// diesel keeps statements prepared, and after five runs PostgreSQL may
/// switch a prepared statement to one plan for any parameters. Planned
/// without its pattern, `search_text LIKE $1` is estimated to match 0.5 % of
/// the rows (PostgreSQL's default), and walking the whole list in page order,
/// filtering every row, can then look cheaper than asking the trigram index.
/// Planning a search each time costs a fraction of a millisecond.
pub(crate) fn plan_for_the_pattern(conn: &mut PgConnection, filter: &UpdateFilter) -> StoreResult<()> {
    if filter.search_terms().is_empty() {
        return Ok(());
    }
    conn.batch_execute("SET LOCAL plan_cache_mode = force_custom_plan").map_err(from_diesel)
}

/// `LIKE` pattern matching `text` anywhere, with LIKE's wildcards taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

pub(crate) type BoxedUpdates<'a> = updates::BoxedQuery<'a, diesel::pg::Pg>;

/// The updates a selector covers that are not acknowledged yet; `None` when
/// it names text PostgreSQL cannot hold, which matches nothing.
pub(crate) fn selection(conn: &mut PgConnection, selector: &AckSelector) -> StoreResult<Option<BoxedUpdates<'static>>> {
    let open = updates::table.filter(updates::acknowledged_at.is_null()).into_boxed();
    Ok(Some(match selector {
        // One array parameter, whatever its length.
        AckSelector::Ids(ids) => open.filter(updates::id.eq_any(ids.clone())),
        AckSelector::Tag(tag_id) => {
            if !tag_exists(conn, *tag_id)? {
                return Err(not_found("tag", *tag_id));
            }
            filtered!(open, &UpdateFilter { tag: Some(TagFilter::Id(*tag_id)), ..UpdateFilter::default() })
        }
        AckSelector::All => open,
        AckSelector::Filter(filter) => {
            if !filter_storable(filter) {
                return Ok(None);
            }
            plan_for_the_pattern(conn, filter)?;
            filtered!(open, &filter.for_bulk_change())
        }
        AckSelector::Image(image) if !storable(image) => return Ok(None),
        AckSelector::Image(image) => open.filter(updates::image.eq(image.clone())),
    }))
}

impl Store for PgStore {
    fn record_notification(&self, n: &Notification, received_at: DateTime<Utc>) -> StoreResult<Update> {
        self.notifications
            .submit((n.clone(), received_at), self.wait_limit, |batch| self.commit_notifications(batch))
            .map_err(|waited| StoreError::Unavailable(waited.to_string()))?
    }

    fn record_notifications(&self, batch: &[(Notification, DateTime<Utc>)]) -> StoreResult<Vec<Update>> {
        self.write_notifications(|conn, changes| record_batch(conn, changes, &self.rules, self.history_limit, batch))
    }

    fn record_each(&self, batch: Vec<(Notification, DateTime<Utc>)>) -> Vec<StoreResult<Update>> {
        if batch.is_empty() {
            return Vec::new();
        }
        self.commit_notifications(batch)
    }

    fn list_updates(&self, filter: &UpdateFilter, page: &PageRequest) -> StoreResult<UpdatePage> {
        if !filter_storable(filter) {
            return Ok(UpdatePage { updates: Vec::new(), next: None });
        }
        self.read(|conn| {
            plan_for_the_pattern(conn, filter)?;
            let as_of = match page.after {
                Some(position) => position.as_of,
                None => current_revision(conn)?,
            };
            let select = (UpdateRow::as_select(), (tags::id, tags::name).nullable());
            // Updates not seen since the walk began stand where the index has them.
            let mut stable = filtered!(updates_with_tags!().select(select).into_boxed(), filter)
                .filter(updates::seen_revision.le(as_of))
                .order((updates::last_seen_at.desc(), updates::id.desc()))
                .limit(i64::from(page.limit()) + 1);
            if let Some(after) = page.after {
                let at = after.last_seen_at;
                stable = stable.filter(
                    updates::last_seen_at.lt(at).or(updates::last_seen_at.eq(at).and(updates::id.lt(after.id))),
                );
            }
            let stable: Vec<(UpdateRow, Option<(i64, String)>)> = stable.load(conn).map_err(from_diesel)?;
            let stable = stable.into_iter().map(|(row, tag)| row.into_update(tag)).collect::<StoreResult<_>>()?;
            // Updates seen since then go where they stood at `as_of`: at their
            // newest event of that revision or before (none: made since, not in this walk).
            // A first page reads `as_of` in its own snapshot, where no update is
            // newer: the query would find nothing, so it is not sent.
            let moved = if page.after.is_none() {
                Vec::new()
            } else {
                let seen_then = sql::<Nullable<Timestamptz>>(
                    "(SELECT e.received_at FROM update_events e WHERE e.update_id = updates.id AND e.revision <= ",
                )
                .bind::<BigInt, _>(as_of)
                .sql(" ORDER BY e.id DESC LIMIT 1)");
                let moved: Vec<(UpdateRow, TagColumns, Option<DateTime<Utc>>)> =
                    filtered!(updates_with_tags!().select((select.0, select.1, seen_then)).into_boxed(), filter)
                        .filter(updates::seen_revision.gt(as_of))
                        .load(conn)
                        .map_err(from_diesel)?;
                moved
                    .into_iter()
                    .filter_map(|(row, tag, at)| Some((at?, row, tag)))
                    .map(|(at, row, tag)| Ok((at, row.into_update(tag)?)))
                    .collect::<StoreResult<_>>()?
            };
            Ok(assemble_page(stable, moved, page, as_of))
        })
    }

    fn summary(&self, filter: &UpdateFilter) -> StoreResult<Summary> {
        let filter = filter.any_state();
        if !filter_storable(&filter) {
            return Ok(Summary::default());
        }
        self.read(|conn| {
            plan_for_the_pattern(conn, &filter)?;
            let (by_tag, by_host) = match kept_counts(conn, &filter)? {
                Some(counts) => counts,
                None => counted(conn, &filter)?,
            };
            let oldest = filtered!(
                updates_with_tags!().select((UpdateRow::as_select(), (tags::id, tags::name).nullable())).into_boxed(),
                &filter
            )
            .filter(pending_now!())
            .order((updates::last_seen_at.asc(), updates::id.asc()))
            .first::<(UpdateRow, Option<(i64, String)>)>(conn)
            .optional()
            .map_err(from_diesel)?
            .map(|(row, tag)| row.into_update(tag))
            .transpose()?;
            let names: std::collections::HashMap<i64, (String, String)> = tags::table
                .select((tags::id, (tags::name, tags::name_key)))
                .load(conn)
                .map_err(from_diesel)?
                .into_iter()
                .collect();
            let tags = by_tag
                .into_iter()
                .map(|(id, counts)| {
                    let tag = id.and_then(|id| {
                        names.get(&id).map(|(name, key)| (TagRef { id, name: name.clone() }, key.clone()))
                    });
                    (tag, counts)
                })
                .collect();
            Ok(Summary::from_counts(tags, by_host, oldest))
        })
    }

    fn revision(&self) -> StoreResult<i64> {
        self.with_conn(current_revision)
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
            let Some(targets) = selection(conn, selector)? else { return Ok(0) };
            let mut changed: Vec<i64> =
                diesel::update(updates::table.filter(updates::id.eq_any(targets.select(updates::id))))
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

    fn snooze(&self, selector: &AckSelector, until: DateTime<Utc>) -> StoreResult<u64> {
        crate::triage::snooze(self, selector, until)
    }

    fn unsnooze(&self, ids: &[i64]) -> StoreResult<u64> {
        crate::triage::unsnooze(self, ids)
    }

    fn wake_snoozed(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        crate::triage::wake_snoozed(self, now)
    }

    fn list_mute_rules(&self) -> StoreResult<Vec<MuteRule>> {
        crate::triage::list_mute_rules(self)
    }

    fn create_mute_rule(&self, rule: &NewMuteRule, at: DateTime<Utc>) -> StoreResult<MuteRule> {
        crate::triage::create_mute_rule(self, rule, at)
    }

    fn delete_mute_rule(&self, id: i64) -> StoreResult<()> {
        crate::triage::delete_mute_rule(self, id)
    }

    fn list_images(&self, filter: &UpdateFilter, page: &ImagePageRequest) -> StoreResult<ImagePage> {
        crate::triage::list_images(self, filter, page)
    }

    fn unacknowledge(&self, selector: &UnackSelector) -> StoreResult<u64> {
        self.write(|conn, changes| {
            let acknowledged = updates::table.filter(updates::acknowledged_at.is_not_null()).into_boxed();
            let targets = match selector {
                UnackSelector::Ids(ids) => acknowledged.filter(updates::id.eq_any(ids)),
                UnackSelector::AcknowledgedAt(at) => acknowledged.filter(updates::acknowledged_at.eq(*at)),
            };
            let mut changed: Vec<i64> =
                diesel::update(updates::table.filter(updates::id.eq_any(targets.select(updates::id))))
                    .set(updates::acknowledged_at.eq(None::<DateTime<Utc>>))
                    .returning(updates::id)
                    .load(conn)
                    .map_err(from_diesel)?;
            changed.sort_unstable();
            let count = changed.len() as u64;
            if !changed.is_empty() {
                changes.push(Change::UpdatesUnacknowledged { ids: changed });
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

    fn set_image_tags(&self, images: &[String], tag_id: Option<i64>) -> StoreResult<u64> {
        if let Some(image) = images.iter().find(|image| !storable(image)) {
            return Err(StoreError::Invalid(format!("the image reference {image:?} must not contain a NUL character")));
        }
        self.write(|conn, changes| {
            if let Some(tag_id) = tag_id {
                // FOR SHARE: a concurrent delete_tag waits for this transaction.
                let known: Option<i64> = tags::table
                    .filter(tags::id.eq(tag_id))
                    .select(tags::id)
                    .for_share()
                    .first(conn)
                    .optional()
                    .map_err(from_diesel)?;
                if known.is_none() {
                    return Err(not_found("tag", tag_id));
                }
            }
            let mut changed = 0;
            for image in images {
                // FOR UPDATE: the tag compared is the one this assignment replaces.
                let before: Option<i64> = image_tags::table
                    .filter(image_tags::image.eq(image))
                    .select(image_tags::tag_id)
                    .for_update()
                    .first(conn)
                    .optional()
                    .map_err(from_diesel)?;
                if before == tag_id {
                    continue;
                }
                match tag_id {
                    Some(tag_id) => diesel::insert_into(image_tags::table)
                        .values((image_tags::image.eq(image), image_tags::tag_id.eq(tag_id)))
                        .on_conflict(image_tags::image)
                        .do_update()
                        .set(image_tags::tag_id.eq(tag_id))
                        .execute(conn),
                    None => diesel::delete(image_tags::table.filter(image_tags::image.eq(image))).execute(conn),
                }
                .map_err(from_diesel)?;
                changes.push(Change::AssignmentChanged { image: image.clone(), tag_id });
                changed += 1;
            }
            Ok(changed)
        })
    }

    fn stats(&self) -> StoreResult<StoreStats> {
        self.read(|conn| {
            let pending: Vec<(String, i64)> = updates::table
                .filter(pending_now!())
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

    fn claim_reminder_slot(
        &self,
        slot_key: &str,
        slot_time: DateTime<Utc>,
        claimed_at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // Not a change of data: nothing is announced, the revision stays.
        self.write(|conn, _| {
            let forget_before = claimed_at - chrono::Duration::days(diun_core::REMINDER_CLAIMS_KEPT_DAYS);
            diesel::delete(reminder_runs::table.filter(reminder_runs::slot_time.lt(forget_before)))
                .execute(conn)
                .map_err(from_diesel)?;
            // Of simultaneous inserts of one slot, the key lets one through.
            let inserted = diesel::insert_into(reminder_runs::table)
                .values((
                    reminder_runs::slot_key.eq(slot_key),
                    reminder_runs::slot_time.eq(slot_time),
                    reminder_runs::claimed_at.eq(claimed_at),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .map_err(from_diesel)?;
            Ok(inserted == 1)
        })
    }

    fn ping(&self) -> StoreResult<()> {
        self.with_conn(|conn| diesel::sql_query("SELECT 1").execute(conn).map(drop).map_err(from_diesel))
    }

    fn subscribe(&self) -> StoreResult<ChangeSubscription> {
        self.feed.subscribe()
    }

    fn export(&self, sink: &mut dyn FnMut(Record) -> StoreResult<()>) -> StoreResult<Counts> {
        crate::export::export(self, sink)
    }

    fn import(&self, records: &mut dyn Iterator<Item = StoreResult<Record>>, merge: bool) -> StoreResult<ImportReport> {
        crate::export::import(self, records, merge)
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

    /// PostgreSQL may plan a prepared statement once for any parameters after
    /// five runs; the statements of a search must be planned for their
    /// pattern every time (see [`plan_for_the_pattern`]). Rows are few here,
    /// so that a plan for any pattern looks as good as one for the pattern
    /// and PostgreSQL would pick it if allowed.
    #[cfg(feature = "test-harness")]
    #[test]
    fn searches_are_planned_for_their_pattern() {
        use diesel::sql_types::Text;
        use diun_core::ImagePageRequest;

        #[derive(QueryableByName, Debug)]
        struct Plans {
            #[diesel(sql_type = Text)]
            statement: String,
            #[diesel(sql_type = BigInt)]
            generic_plans: i64,
            #[diesel(sql_type = BigInt)]
            custom_plans: i64,
        }

        // One connection, so that every search prepares its statements on it.
        let options = StoreOptions { pool_size: 1, ..StoreOptions::default() };
        let Some(db) = crate::testing::TestDatabase::create(options) else { return };
        let store = db.store();
        let batch: Vec<_> = (0..50)
            .map(|n| {
                let body = format!(r#"{{"hostname": "host-{}", "image": "app-{n}:1", "digest": "sha256:1"}}"#, n % 5);
                (Notification::from_json(body.as_bytes()).unwrap(), Utc::now())
            })
            .collect();
        store.record_notifications(&batch).unwrap();
        const SEARCHES: i64 = 12;
        for n in 0..SEARCHES {
            let filter = UpdateFilter { query: Some(format!("app-{n}")), ..UpdateFilter::default() };
            store.list_updates(&filter, &PageRequest::default()).unwrap();
            store.summary(&filter).unwrap();
            store.list_images(&filter, &ImagePageRequest::default()).unwrap();
        }
        let mut conn = store.pool.get().unwrap();
        let plans: Vec<Plans> = diesel::sql_query(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
             WHERE statement LIKE '%\"search_text\" LIKE%'",
        )
        .load(&mut *conn)
        .unwrap();
        assert!(plans.len() >= 3, "the searches' statements were not found: {plans:?}");
        for plan in plans {
            assert_eq!(plan.generic_plans, 0, "planned without its pattern: {}", plan.statement);
            assert!(plan.custom_plans >= SEARCHES, "planned {} times: {}", plan.custom_plans, plan.statement);
        }
    }
}
