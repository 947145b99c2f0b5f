//! [`SqliteStore`]: the [`Store`] trait on SQLite.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::dsl::{case_when, count, sql};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::{BigInt, Nullable, Timestamp};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use diun_core::export::{Counts, ImportReport, Record};
use diun_core::{
    assemble_page, counts_by_tag_and_by_host, search_text, AckSelector, Change, ChangeBroadcaster, ChangeSubscription,
    GroupCommit, GroupedCounts, ImagePage, ImagePageRequest, MuteRule, MuteRules, NewMuteRule, Notification,
    PageRequest, StateCounts, Store, StoreError, StoreOptions, StoreResult, StoreStats, Summary, Tag, TagFilter,
    TagName, TagRef, UnackSelector, Update, UpdateEvent, UpdateFilter, UpdatePage, UpdateState,
};
use scheduled_thread_pool::ScheduledThreadPool;

use crate::checkpointer::Checkpointer;
use crate::connection::{create_parent_folder, database_path, ConnectionSettings, Synchronous};
use crate::errors::{from_diesel, from_pool, TxError};
use crate::models::{
    compile_rules, db_time, metadata_json, EventRow, MuteRuleRow, NewEvent, NotificationFields, TagRow, UpdateRow,
};
use crate::schema::{
    data_revision, image_tags, mute_rules, reminder_runs, tags, update_counts, update_events, updates,
};
use crate::writer_lock::WriterLock;

/// `migrations` is a symbolic link to the repository's `migrations-sqlite/` (where the
/// diesel CLI and the schema-drift check work); `cargo package` copies the
/// files it points at, so that a packaged crate carries its own migrations.
const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long migrations wait for the database lock held by another process.
const MIGRATION_BUSY_TIMEOUT: Duration = Duration::from_secs(15);

/// The most notifications committed in one transaction.
const MAX_BATCH: usize = 256;

/// A notification and when it arrived: one item of a group commit.
type Received = (Notification, DateTime<Utc>);

/// A [`Store`] on one SQLite file.
///
/// Cloning is cheap and shares the connection pool.
///
/// Its change feed ([`Store::subscribe`]) covers the changes made by every
/// `SqliteStore` of this process on the same file, not those of other processes.
#[derive(Clone)]
pub struct SqliteStore {
    /// Readers' connections.
    pool: Pool<ConnectionManager<SqliteConnection>>,
    /// The writer's connection, apart, so that readers never hold what a writer needs.
    writer_pool: Pool<ConnectionManager<SqliteConnection>>,
    history_limit: i64,
    /// How long a write may wait to start: for the writer lock, a connection, SQLite's lock.
    wait_limit: Duration,
    file: Arc<SharedFile>,
    /// Notifications arriving together are committed together.
    notifications: Arc<GroupCommit<Received, StoreResult<Update>>>,
}

/// What every store of this process open on one file shares.
struct SharedFile {
    /// The change feed.
    feed: ChangeBroadcaster,
    /// One writer at a time (other processes still meet SQLite's busy timeout).
    writer: WriterLock,
    /// Checkpoints the WAL after commits, so that no commit waits for one.
    checkpointer: Checkpointer,
}

/// The shared state of `path`, for every store of this process open on it.
fn shared_file(path: &str) -> StoreResult<Arc<SharedFile>> {
    static FILES: Mutex<Option<HashMap<PathBuf, Weak<SharedFile>>>> = Mutex::new(None);
    // The file exists by now (migrations made it), so its canonical path names it.
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
    let mut files = FILES.lock().unwrap_or_else(PoisonError::into_inner);
    let files = files.get_or_insert_with(HashMap::new);
    files.retain(|_, file| file.strong_count() > 0);
    if let Some(file) = files.get(&key).and_then(Weak::upgrade) {
        return Ok(file);
    }
    let checkpointer = Checkpointer::start(path)
        .map_err(|err| StoreError::Unavailable(format!("cannot start the checkpoint thread: {err}")))?;
    let file = Arc::new(SharedFile { feed: ChangeBroadcaster::new(), writer: WriterLock::default(), checkpointer });
    files.insert(key, Arc::downgrade(&file));
    Ok(file)
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("history_limit", &self.history_limit).finish_non_exhaustive()
    }
}

/// How long a reader connection stays open unused.
const READER_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

impl SqliteStore {
    /// Opens (creating when needed) the database at `url`, brings its schema
    /// up to date, and builds the connection pool.
    ///
    /// `url` is `sqlite://PATH`, `sqlite:PATH` or a bare path; see [`database_path`].
    pub fn open(url: &str, options: &StoreOptions) -> StoreResult<Self> {
        let path = database_path(url)?;
        create_parent_folder(&path)?;
        let path = path
            .to_str()
            .ok_or_else(|| StoreError::Invalid(format!("the path {} is not valid UTF-8", path.display())))?
            .to_owned();

        // Migrate on one connection before the pool exists, so no pooled
        // connection ever sees a half-made schema.
        let mut conn = SqliteConnection::establish(&path)
            .map_err(|err| StoreError::Unavailable(format!("cannot open {path}: {err}")))?;
        // WAL lets readers work while one writer writes; it is stored in the
        // file, so setting it once is enough.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
            MIGRATION_BUSY_TIMEOUT.as_millis()
        ))
        .map_err(from_diesel)?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|err| StoreError::Backend(format!("cannot migrate {path}: {err}").into()))?;
        fill_search_text(&mut conn)?;
        drop(conn);

        let file = shared_file(&path)?;
        // Waits are bounded by the pool timeout: a write that cannot start in
        // time fails as unavailable (503) instead of answering late.
        let synchronous = Synchronous::from_url(url)?;
        let settings = || Box::new(ConnectionSettings { busy_timeout: options.connection_timeout, synchronous });
        // Idle, a store holds what it needs and no more: the writer's
        // connection, reader connections only while readers come (each costs
        // about 240 KiB: its schema, its page cache, SQLite's lookaside), closed
        // after a minute unused; and one background thread for both pools
        // (r2d2 starts three per pool).
        let pool_thread =
            Arc::new(ScheduledThreadPool::builder().num_threads(1).thread_name_pattern("sqlite-pool").build());
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(0))
            .idle_timeout(Some(READER_IDLE_TIMEOUT))
            .connection_timeout(options.connection_timeout)
            .connection_customizer(settings())
            .thread_pool(Arc::clone(&pool_thread))
            .build(ConnectionManager::new(path.clone()))
            .map_err(from_pool)?;
        let writer_pool = Pool::builder()
            .max_size(1)
            .connection_timeout(options.connection_timeout)
            .connection_customizer(settings())
            .thread_pool(pool_thread)
            .build(ConnectionManager::new(path))
            .map_err(from_pool)?;
        Ok(SqliteStore {
            pool,
            writer_pool,
            history_limit: i64::from(options.history_limit.max(1)),
            wait_limit: options.connection_timeout,
            file,
            notifications: Arc::new(GroupCommit::new(MAX_BATCH)),
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
            self.write(|conn, changes| {
                let rules = load_rules(conn)?;
                let ids = batch
                    .iter()
                    .map(|(n, at)| record_in(conn, changes, self.history_limit, &rules, n, *at))
                    .collect::<StoreResult<Vec<i64>>>()?;
                let updates = ids.into_iter().map(|id| load_update(conn, id)).collect::<StoreResult<Vec<Update>>>()?;
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

    /// Runs `work` on a pooled connection.
    fn with_conn<T>(&self, work: impl FnOnce(&mut SqliteConnection) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.pool.get().map_err(from_pool)?;
        work(&mut conn)
    }

    /// Runs `work` in a write transaction taken up front: taking the write
    /// lock late (a deferred transaction) can deadlock two writers.
    ///
    /// `work` lists what it changed; the list goes out on the change feed
    /// once the transaction has committed.
    pub(crate) fn write<T>(
        &self,
        work: impl FnOnce(&mut SqliteConnection, &mut Tx) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut tx = Tx::default();
        let _writer = self.file.writer.acquire(self.wait_limit)?;
        let mut conn = self.writer_pool.get().map_err(from_pool)?;
        let result = {
            let conn = &mut *conn;
            conn.immediate_transaction(|conn| {
                let result = work(conn, &mut tx).map_err(TxError)?;
                // Whatever changed advances the revision, in the same transaction.
                if !tx.changes.is_empty() {
                    tx.revision(conn).map_err(TxError)?;
                }
                Ok(result)
            })
            .map_err(|TxError(err)| err)
        }?;
        // A transaction that changed nothing (the snooze waker finding no
        // snooze due, every 15 s) left nothing to checkpoint.
        if !tx.changes.is_empty() {
            self.file.checkpointer.committed();
        }
        self.file.feed.send_all(&tx.changes);
        Ok(result)
    }

    /// Runs `work` in a read transaction, so that its queries see one snapshot.
    pub(crate) fn read<T>(&self, work: impl FnOnce(&mut SqliteConnection) -> StoreResult<T>) -> StoreResult<T> {
        self.with_conn(|conn| conn.transaction(|conn| work(conn).map_err(TxError)).map_err(|TxError(err)| err))
    }
}

/// What a write transaction did: the changes for the feed, and the revision
/// it took (at most one per transaction).
#[derive(Default)]
pub(crate) struct Tx {
    changes: Vec<Change>,
    revision: Option<i64>,
}

impl Tx {
    /// Records a change, announced after the commit.
    pub(crate) fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// This transaction's revision: the next one, taken on first use.
    pub(crate) fn revision(&mut self, conn: &mut SqliteConnection) -> StoreResult<i64> {
        if let Some(revision) = self.revision {
            return Ok(revision);
        }
        let revision = diesel::update(data_revision::table)
            .set(data_revision::revision.eq(data_revision::revision + 1))
            .returning(data_revision::revision)
            .get_result(conn)
            .map_err(from_diesel)?;
        self.revision = Some(revision);
        Ok(revision)
    }
}

/// Computes the search text of rows written before it was kept (it needs
/// Rust's case folding, so no SQL migration can fill it in).
fn fill_search_text(conn: &mut SqliteConnection) -> StoreResult<()> {
    loop {
        let rows: Vec<(i64, String, String, String)> = updates::table
            .filter(updates::search_text.eq(""))
            .select((updates::id, updates::image, updates::hostname, updates::metadata))
            .limit(1000)
            .load(conn)
            .map_err(from_diesel)?;
        if rows.is_empty() {
            return Ok(());
        }
        conn.immediate_transaction(|conn| {
            for (id, image, hostname, metadata) in rows {
                let metadata = serde_json::from_str(&metadata).unwrap_or_default();
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
fn current_revision(conn: &mut SqliteConnection) -> StoreResult<i64> {
    data_revision::table.select(data_revision::revision).first(conn).map_err(from_diesel)
}

/// How a filter's free text is found. SQLite's trigram index (FTS5) finds
/// the few rows holding a rare word at once, but listing the many rows
/// holding a common word costs more than reading rows in page order, which
/// soon fills a page with them.
pub(crate) enum Search {
    /// Read rows in page order, checking their search text.
    Scan,
    /// Only these updates can match: the rows of the rarest word.
    Candidates(Vec<i64>),
}

/// A word found in more rows than this is common: reading rows in page order wins.
const MAX_CANDIDATES: i64 = 2_000;

/// Asks the trigram index how rare each word of `filter`'s free text is.
pub(crate) fn plan_search(conn: &mut SqliteConnection, filter: &UpdateFilter) -> StoreResult<Search> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        rowid: i64,
    }
    let mut rarest: Option<Vec<i64>> = None;
    // The index needs three characters; LIKE's wildcards would mean something else to it.
    for term in filter.search_terms().iter().filter(|t| t.chars().count() >= 3 && !t.contains(['%', '_', '\\'])) {
        let rows: Vec<Row> = diesel::sql_query("SELECT rowid FROM updates_search WHERE search_text LIKE ? LIMIT ?")
            .bind::<diesel::sql_types::Text, _>(format!("%{term}%"))
            .bind::<BigInt, _>(MAX_CANDIDATES + 1)
            .load(conn)
            .map_err(from_diesel)?;
        let rare = rows.len() as i64 <= MAX_CANDIDATES;
        if rare && rarest.as_ref().is_none_or(|ids| rows.len() < ids.len()) {
            rarest = Some(rows.into_iter().map(|row| row.rowid).collect());
        }
    }
    Ok(rarest.map_or(Search::Scan, Search::Candidates))
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

/// The summary's counts per tag and host from `update_counts`, which
/// triggers keep up to date (see its migration), when the filter asks only
/// for a tag or a host; `None` when it asks for more (a search, an image).
fn kept_counts(conn: &mut SqliteConnection, filter: &UpdateFilter) -> StoreResult<Option<GroupedCounts>> {
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
fn counted(conn: &mut SqliteConnection, filter: &UpdateFilter, search: &Search) -> StoreResult<GroupedCounts> {
    let tagged: Vec<(i64, CountColumns)> = filtered!(
        image_tags::table
            .inner_join(updates::table.on(updates::image.eq(image_tags::image)))
            .group_by(image_tags::tag_id)
            .select((image_tags::tag_id, state_counts!()))
            .into_boxed(),
        filter,
        search
    )
    .load(conn)
    .map_err(from_diesel)?;
    let untagged = UpdateFilter { tag: Some(TagFilter::Untagged), ..filter.clone() };
    let untagged_counts: CountColumns =
        filtered!(updates::table.select(state_counts!()).into_boxed(), &untagged, search)
            .first(conn)
            .map_err(from_diesel)?;
    // A tag filter leaves no untagged update (the query above replaced the filter's tag).
    let untagged_counts =
        if matches!(filter.tag, Some(TagFilter::Id(_))) { StateCounts::default() } else { counts_of(untagged_counts) };
    let by_tag =
        tagged.into_iter().map(|(id, counts)| (Some(id), counts_of(counts))).chain([(None, untagged_counts)]).collect();
    let by_host: Vec<(String, CountColumns)> = filtered!(
        updates::table.group_by(updates::hostname).select((updates::hostname, state_counts!())).into_boxed(),
        filter,
        search
    )
    .load(conn)
    .map_err(from_diesel)?;
    let by_host = by_host.into_iter().map(|(host, counts)| (host, counts_of(counts))).collect();
    Ok((by_tag, by_host))
}

/// Counts read by [`state_counts!`].
pub(crate) type CountColumns = (i64, i64, i64, i64);

pub(crate) fn counts_of((pending, snoozed, muted, acknowledged): CountColumns) -> StateCounts {
    StateCounts { pending, snoozed, muted, acknowledged }
}

/// Narrows a boxed query over `updates` (joined with tags or not) to
/// `$filter`, its free text matched as `$search` (a [`Search`]) planned.
macro_rules! filtered {
    ($query:expr, $filter:expr, $search:expr) => {{
        let filter: &UpdateFilter = $filter;
        let search: &Search = $search;
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
            query = query.filter(pending_now!()).filter(updates::pending_since.lt(db_time(before)));
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
        // Both sides are folded by Rust, so LIKE's own (ASCII) case folding never matters.
        for term in filter.search_terms() {
            query = query.filter(updates::search_text.like(contains_pattern(&term)).escape('\\'));
        }
        if let Search::Candidates(ids) = search {
            query = query.filter(updates::id.eq_any(ids.clone()));
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

pub(crate) fn load_update(conn: &mut SqliteConnection, id: i64) -> StoreResult<Update> {
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

pub(crate) fn tag_exists(conn: &mut SqliteConnection, id: i64) -> StoreResult<bool> {
    diesel::select(diesel::dsl::exists(tags::table.filter(tags::id.eq(id)))).get_result(conn).map_err(from_diesel)
}

fn name_conflict(err: diesel::result::Error, name: &TagName) -> StoreError {
    match from_diesel(err) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("a tag named \"{name}\" already exists")),
        other => other,
    }
}

/// The most ids bound in one statement, below SQLite's limit of 32,766 values.
pub(crate) const MAX_BOUND_IDS: usize = 10_000;

pub(crate) type BoxedUpdates<'a> = updates::BoxedQuery<'a, diesel::sqlite::Sqlite>;

/// The updates a selector covers that are not acknowledged yet, as queries
/// of their ids (several for a long list of ids: SQLite bounds the values
/// one statement binds).
pub(crate) fn selection(
    conn: &mut SqliteConnection,
    selector: &AckSelector,
) -> StoreResult<Vec<BoxedUpdates<'static>>> {
    let open = || updates::table.filter(updates::acknowledged_at.is_null()).into_boxed();
    Ok(match selector {
        AckSelector::Ids(ids) => {
            ids.chunks(MAX_BOUND_IDS).map(|chunk| open().filter(updates::id.eq_any(chunk.to_vec()))).collect()
        }
        AckSelector::Tag(tag_id) => {
            if !tag_exists(conn, *tag_id)? {
                return Err(not_found("tag", *tag_id));
            }
            let by_tag = UpdateFilter { tag: Some(TagFilter::Id(*tag_id)), ..UpdateFilter::default() };
            vec![filtered!(open(), &by_tag, &Search::Scan)]
        }
        AckSelector::All => vec![open()],
        AckSelector::Filter(filter) => {
            let filter = filter.for_bulk_change();
            let search = plan_search(conn, &filter)?;
            vec![filtered!(open(), &filter, &search)]
        }
        AckSelector::Image(image) => vec![open().filter(updates::image.eq(image.clone()))],
    })
}

/// Acknowledges the updates `targets` selects, at `at`; returns their ids.
fn acknowledge_where(
    conn: &mut SqliteConnection,
    targets: BoxedUpdates<'static>,
    at: DateTime<Utc>,
) -> StoreResult<Vec<i64>> {
    // UPDATE … WHERE id IN (SELECT …): the selection runs inside SQLite, so its size binds no variables.
    diesel::update(updates::table.filter(updates::id.eq_any(targets.select(updates::id))))
        .set(updates::acknowledged_at.eq(db_time(at)))
        .returning(updates::id)
        .load(conn)
        .map_err(from_diesel)
}

/// Announces acknowledged updates and counts them.
fn announce_acknowledged(changes: &mut Tx, mut changed: Vec<i64>) -> u64 {
    changed.sort_unstable();
    let count = changed.len() as u64;
    if !changed.is_empty() {
        changes.push(Change::UpdatesAcknowledged { ids: changed });
    }
    count
}

/// `LIKE` pattern matching `text` anywhere, with LIKE's wildcards taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Records one notification inside the caller's write transaction; returns its update's id.
/// The mute rules, compiled, for the notifications of one transaction.
fn load_rules(conn: &mut SqliteConnection) -> StoreResult<MuteRules> {
    let rows: Vec<MuteRuleRow> = mute_rules::table.select(MuteRuleRow::as_select()).load(conn).map_err(from_diesel)?;
    compile_rules(&rows)
}

/// What a known update was before a notification with a new digest.
type Before = (i64, String, Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>, Option<i64>);

/// Records one notification inside the caller's write transaction, with the
/// transaction's mute rules; returns its update's id.
fn record_in(
    conn: &mut SqliteConnection,
    changes: &mut Tx,
    history_limit: i64,
    rules: &MuteRules,
    n: &Notification,
    received_at: DateTime<Utc>,
) -> StoreResult<i64> {
    let at = db_time(received_at);
    let revision = changes.revision(conn)?;
    let existing: Option<Before> = updates::table
        .filter(updates::hostname.eq(n.hostname()))
        .filter(updates::image.eq(n.image()))
        .select((updates::id, updates::digest, updates::acknowledged_at, updates::snoozed_until, updates::muted_by))
        .first(conn)
        .optional()
        .map_err(from_diesel)?;
    let created = existing.is_none();
    let muted_by = rules.first_match(n.hostname(), n.image(), n.status());
    let mut followups = Vec::new();
    let id = match existing {
        None => {
            let id = diesel::insert_into(updates::table)
                .values((
                    updates::hostname.eq(n.hostname()),
                    updates::image.eq(n.image()),
                    NotificationFields::new(n),
                    updates::first_seen_at.eq(at),
                    updates::last_seen_at.eq(at),
                    updates::event_count.eq(1),
                    updates::seen_revision.eq(revision),
                    updates::muted_by.eq(muted_by),
                    updates::pending_since.eq(at),
                ))
                .returning(updates::id)
                .get_result(conn)
                .map_err(from_diesel)?;
            if let Some(rule) = muted_by {
                followups.push(Change::Muted { ids: vec![id], rule });
            }
            id
        }
        Some((id, digest, acknowledged_at, snoozed_until, muted_before)) => {
            let target = updates::table.filter(updates::id.eq(id));
            let seen = (
                updates::last_seen_at.eq(at),
                updates::event_count.eq(updates::event_count + 1),
                updates::seen_revision.eq(revision),
            );
            if digest == n.digest() {
                // Same image as before: a re-sent notification must not
                // bring back an update the user acknowledged, snoozed or muted.
                diesel::update(target).set(seen).execute(conn)
            } else {
                // A new digest: pending again, snooze over, rules asked afresh.
                let triage = (
                    updates::acknowledged_at.eq(None::<chrono::NaiveDateTime>),
                    updates::snoozed_until.eq(None::<chrono::NaiveDateTime>),
                    updates::muted_by.eq(muted_by),
                );
                if snoozed_until.is_some() {
                    followups.push(Change::Unsnoozed { ids: vec![id] });
                }
                match (muted_before, muted_by) {
                    (before, Some(rule)) if before != Some(rule) => {
                        followups.push(Change::Muted { ids: vec![id], rule })
                    }
                    (Some(_), None) => followups.push(Change::Unmuted { ids: vec![id] }),
                    _ => {}
                }
                if acknowledged_at.is_some() {
                    diesel::update(target)
                        .set((NotificationFields::new(n), seen, triage, updates::pending_since.eq(at)))
                        .execute(conn)
                } else {
                    diesel::update(target).set((NotificationFields::new(n), seen, triage)).execute(conn)
                }
            }
            .map_err(from_diesel)?;
            id
        }
    };
    diesel::insert_into(update_events::table)
        .values(NewEvent {
            update_id: id,
            received_at: at,
            status: n.status().as_str(),
            digest: n.digest(),
            created: n.created().map(db_time),
            diun_version: n.diun_version(),
            metadata: metadata_json(n.metadata()),
            revision,
        })
        .execute(conn)
        .map_err(from_diesel)?;
    // Keep the newest `history_limit` events: find the oldest one to keep.
    let oldest_kept: Option<i64> = update_events::table
        .filter(update_events::update_id.eq(id))
        .order(update_events::id.desc())
        .offset(history_limit - 1)
        .select(update_events::id)
        .first(conn)
        .optional()
        .map_err(from_diesel)?;
    if let Some(oldest_kept) = oldest_kept {
        diesel::delete(
            update_events::table.filter(update_events::update_id.eq(id)).filter(update_events::id.lt(oldest_kept)),
        )
        .execute(conn)
        .map_err(from_diesel)?;
    }
    changes.push(if created { Change::UpdateCreated { id } } else { Change::UpdateChanged { id } });
    for change in followups {
        changes.push(change);
    }
    Ok(id)
}

impl Store for SqliteStore {
    fn record_notification(&self, n: &Notification, received_at: DateTime<Utc>) -> StoreResult<Update> {
        self.notifications
            .submit((n.clone(), received_at), self.wait_limit, |batch| self.commit_notifications(batch))
            .map_err(|waited| StoreError::Unavailable(waited.to_string()))?
    }

    fn record_notifications(&self, batch: &[(Notification, DateTime<Utc>)]) -> StoreResult<Vec<Update>> {
        self.write(|conn, changes| {
            let rules = load_rules(conn)?;
            let ids = batch
                .iter()
                .map(|(n, at)| record_in(conn, changes, self.history_limit, &rules, n, *at))
                .collect::<StoreResult<Vec<i64>>>()?;
            ids.into_iter().map(|id| load_update(conn, id)).collect()
        })
    }

    fn record_each(&self, batch: Vec<(Notification, DateTime<Utc>)>) -> Vec<StoreResult<Update>> {
        if batch.is_empty() {
            return Vec::new();
        }
        self.commit_notifications(batch)
    }

    fn list_updates(&self, filter: &UpdateFilter, page: &PageRequest) -> StoreResult<UpdatePage> {
        self.read(|conn| {
            let search = plan_search(conn, filter)?;
            let as_of = match page.after {
                Some(position) => position.as_of,
                None => current_revision(conn)?,
            };
            let select = (UpdateRow::as_select(), (tags::id, tags::name).nullable());
            // Updates not seen since the walk began stand where the index has them.
            let mut stable = filtered!(updates_with_tags!().select(select).into_boxed(), filter, &search)
                .filter(updates::seen_revision.le(as_of))
                .order((updates::last_seen_at.desc(), updates::id.desc()))
                .limit(i64::from(page.limit()) + 1);
            if let Some(after) = page.after {
                let at = db_time(after.last_seen_at);
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
                let seen_then = sql::<Nullable<Timestamp>>(
                    "(SELECT e.received_at FROM update_events e WHERE e.update_id = updates.id AND e.revision <= ",
                )
                .bind::<BigInt, _>(as_of)
                .sql(" ORDER BY e.id DESC LIMIT 1)");
                let moved: Vec<(UpdateRow, TagColumns, Option<chrono::NaiveDateTime>)> = filtered!(
                    updates_with_tags!().select((select.0, select.1, seen_then)).into_boxed(),
                    filter,
                    &search
                )
                .filter(updates::seen_revision.gt(as_of))
                .load(conn)
                .map_err(from_diesel)?;
                moved
                    .into_iter()
                    .filter_map(|(row, tag, at)| Some((at?.and_utc(), row, tag)))
                    .map(|(at, row, tag)| Ok((at, row.into_update(tag)?)))
                    .collect::<StoreResult<_>>()?
            };
            Ok(assemble_page(stable, moved, page, as_of))
        })
    }

    fn summary(&self, filter: &UpdateFilter) -> StoreResult<Summary> {
        let filter = filter.any_state();
        self.read(|conn| {
            let search = plan_search(conn, &filter)?;
            let (by_tag, by_host) = match kept_counts(conn, &filter)? {
                Some(counts) => counts,
                None => counted(conn, &filter, &search)?,
            };
            let oldest = filtered!(
                updates_with_tags!().select((UpdateRow::as_select(), (tags::id, tags::name).nullable())).into_boxed(),
                &filter,
                &search
            )
            .filter(pending_now!())
            .order((updates::last_seen_at.asc(), updates::id.asc()))
            .first::<(UpdateRow, Option<(i64, String)>)>(conn)
            .optional()
            .map_err(from_diesel)?
            .map(|(row, tag)| row.into_update(tag))
            .transpose()?;
            let names: HashMap<i64, (String, String)> = tags::table
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
            let exists: bool = diesel::select(diesel::dsl::exists(updates::table.filter(updates::id.eq(update_id))))
                .get_result(conn)
                .map_err(from_diesel)?;
            if !exists {
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
                    .set(updates::acknowledged_at.eq(db_time(at)))
                    .execute(conn)
            } else {
                diesel::update(target.filter(updates::acknowledged_at.is_not_null()))
                    .set(updates::acknowledged_at.eq(None::<chrono::NaiveDateTime>))
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
            let mut changed = Vec::new();
            for targets in selection(conn, selector)? {
                changed.extend(acknowledge_where(conn, targets, at)?);
            }
            Ok(announce_acknowledged(changes, changed))
        })
    }

    fn unacknowledge(&self, selector: &UnackSelector) -> StoreResult<u64> {
        self.write(|conn, changes| {
            let acknowledged = || updates::table.filter(updates::acknowledged_at.is_not_null());
            let mut changed: Vec<i64> = Vec::new();
            match selector {
                UnackSelector::Ids(ids) => {
                    for chunk in ids.chunks(MAX_BOUND_IDS) {
                        changed.extend(
                            diesel::update(acknowledged().filter(updates::id.eq_any(chunk)))
                                .set(updates::acknowledged_at.eq(None::<chrono::NaiveDateTime>))
                                .returning(updates::id)
                                .load::<i64>(conn)
                                .map_err(from_diesel)?,
                        );
                    }
                }
                UnackSelector::AcknowledgedAt(at) => {
                    changed = diesel::update(acknowledged().filter(updates::acknowledged_at.eq(db_time(*at))))
                        .set(updates::acknowledged_at.eq(None::<chrono::NaiveDateTime>))
                        .returning(updates::id)
                        .load(conn)
                        .map_err(from_diesel)?;
                }
            }
            changed.sort_unstable();
            let count = changed.len() as u64;
            if !changed.is_empty() {
                changes.push(Change::UpdatesUnacknowledged { ids: changed });
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

    fn delete_update(&self, id: i64) -> StoreResult<()> {
        self.write(|conn, changes| {
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
            let deleted: Vec<i64> = diesel::delete(updates::table.filter(updates::acknowledged_at.lt(db_time(cutoff))))
                .returning(updates::id)
                .load(conn)
                .map_err(from_diesel)?;
            let count = deleted.len() as u64;
            if !deleted.is_empty() {
                changes.push(Change::UpdatesDeleted { ids: deleted });
            }
            Ok(count)
        })
    }

    fn list_tags(&self) -> StoreResult<Vec<Tag>> {
        self.with_conn(|conn| {
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
                .values((tags::name.eq(name.as_str()), tags::name_key.eq(name.key()), tags::created_at.eq(db_time(at))))
                .returning(TagRow::as_returning())
                .get_result(conn)
                .map_err(|err| name_conflict(err, name))?;
            changes.push(Change::TagCreated { id: row.id });
            Ok(row.into_tag(0))
        })
    }

    fn rename_tag(&self, id: i64, name: &TagName) -> StoreResult<Tag> {
        self.write(|conn, changes| {
            let before: Option<String> =
                tags::table.filter(tags::id.eq(id)).select(tags::name).first(conn).optional().map_err(from_diesel)?;
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
            let name: String = tags::table
                .filter(tags::id.eq(tag_id))
                .select(tags::name)
                .first(conn)
                .optional()
                .map_err(from_diesel)?
                .ok_or_else(|| not_found("tag", tag_id))?;
            let before: Option<i64> = image_tags::table
                .filter(image_tags::image.eq(image))
                .select(image_tags::tag_id)
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
        self.write(|conn, changes| {
            if let Some(tag_id) = tag_id {
                if !tag_exists(conn, tag_id)? {
                    return Err(not_found("tag", tag_id));
                }
            }
            let mut changed = 0;
            for image in images {
                let before: Option<i64> = image_tags::table
                    .filter(image_tags::image.eq(image))
                    .select(image_tags::tag_id)
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
            diesel::delete(reminder_runs::table.filter(reminder_runs::slot_time.lt(db_time(forget_before))))
                .execute(conn)
                .map_err(from_diesel)?;
            // Of simultaneous inserts of one slot, the key lets one through.
            let inserted = diesel::insert_into(reminder_runs::table)
                .values((
                    reminder_runs::slot_key.eq(slot_key),
                    reminder_runs::slot_time.eq(db_time(slot_time)),
                    reminder_runs::claimed_at.eq(db_time(claimed_at)),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .map_err(from_diesel)?;
            Ok(inserted == 1)
        })
    }

    fn ping(&self) -> StoreResult<()> {
        // On the writer's connection, which is always open: health checks
        // every half minute would otherwise keep a reader connection open
        // on an idle server. It runs no transaction, so takes no lock.
        let mut conn = self.writer_pool.get().map_err(from_pool)?;
        crate::connection::ping(&mut conn)
    }

    fn subscribe(&self) -> StoreResult<ChangeSubscription> {
        Ok(self.file.feed.subscribe())
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

    /// Updates stored before search_text existed are found by search once the
    /// store has opened (and filled their search text and the trigram index in).
    #[test]
    fn updates_from_before_the_search_index_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let path = path.to_str().unwrap();
        let mut conn = SqliteConnection::establish(path).unwrap();
        // The schema as the first release left it: the first two migrations.
        for _ in 0..2 {
            conn.run_next_migration(MIGRATIONS).unwrap();
        }
        conn.batch_execute(
            "INSERT INTO updates (hostname, image, status, provider, hub_link, mime_type, digest, platform,
                                  diun_version, metadata, first_seen_at, last_seen_at)
             VALUES ('NAS', 'ghcr.io/acme/Jellyfin:10', 'new', 'docker', '', '', 'sha256:1', '', '',
                     '{\"ctn_names\":\"/media-server\"}', '2026-11-01 00:00:00', '2026-11-01 00:00:00')",
        )
        .unwrap();
        drop(conn);
        let store = SqliteStore::open(path, &StoreOptions::default()).unwrap();
        for q in ["jellyfin", "media-server", "nas", "ghcr.io/acme"] {
            let filter = UpdateFilter { query: Some(q.into()), ..UpdateFilter::default() };
            let found = store.list_updates(&filter, &PageRequest::default()).unwrap();
            assert_eq!(found.updates.len(), 1, "{q}");
        }
        // And the triggers keep the index in step with later changes.
        store.delete_update(1).unwrap();
        let filter = UpdateFilter { query: Some("jellyfin".into()), ..UpdateFilter::default() };
        assert!(store.list_updates(&filter, &PageRequest::default()).unwrap().updates.is_empty());
    }

    /// Commits reach the database file soon after, by the checkpointer,
    /// while the store stays open and no commit made the WAL long.
    #[test]
    fn commits_are_checkpointed_into_the_database_file_soon() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let store = SqliteStore::open(path.to_str().unwrap(), &StoreOptions::default()).unwrap();
        let notification = Notification::builder("nginx:1").hostname("nas").build().unwrap();
        store.record_notification(&notification, Utc::now()).unwrap();
        // The database file alone (a copy without its WAL) holds the update
        // once a checkpoint has copied it in.
        let copy = dir.path().join("copy.db");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            std::fs::copy(&path, &copy).unwrap();
            let mut conn = SqliteConnection::establish(copy.to_str().unwrap()).unwrap();
            let count: i64 = updates::table.count().get_result(&mut conn).unwrap_or(0);
            drop(conn);
            std::fs::remove_file(&copy).unwrap();
            let _ = std::fs::remove_file(dir.path().join("copy.db-wal"));
            if count == 1 {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the update never reached the database file");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(std::fs::metadata(dir.path().join("wal.db-wal")).is_ok(), "the store is still open, in WAL mode");
    }
}
