//! Recording notifications: the webhook's path into PostgreSQL.
//!
//! Each statement costs a round trip, an executor start and a run of the
//! summary's statement-level triggers, whatever number of rows it holds; so
//! the notifications of a batch are recorded together, as arrays bound to one
//! prepared statement. A transaction holding a batch sends:
//!
//! 1. `BEGIN`;
//! 2. the revision (see [`Tx::revision`]), which also tells whether the mute
//!    rules changed since this replica last read them (only then a query for
//!    them follows);
//! 3. one statement that locks the batch's updates, upserts them, appends
//!    their events and returns the updates as stored, their tags, and what
//!    they were before;
//! 4. the change feed's `NOTIFY`;
//! 5. `COMMIT`.
//!
//! A batch that names an update twice is split before the second mention,
//! since one statement cannot change a row twice. Trimming the history adds
//! a statement per update that holds more events than the history limit.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text, Timestamptz, Untyped};
use diun_core::{Change, MuteRules, Notification, StoreError, StoreResult, Update};

use crate::errors::from_diesel;
use crate::models::{compile_rules, metadata_json, MuteRuleRow, UpdateRow};
use crate::schema::{mute_rules, update_events};
use crate::store::Tx;

/// The mute rules as last read, with the count of rule changes they hold.
///
/// Shared by a store's clones. Replicas each keep their own: the count comes
/// from the database, so a rule made by another replica is seen too.
#[derive(Default)]
pub(crate) struct RulesCache(Mutex<Option<(i64, Arc<MuteRules>)>>);

impl RulesCache {
    /// The rules in force at this transaction's revision.
    ///
    /// The count is read with the revision, after the revision row's lock
    /// (see [`Tx::rules_revision`]): a rule made or removed meanwhile has
    /// committed, and the query below, a statement that begins after it,
    /// sees it. Read before that lock, a rule made meanwhile would miss
    /// these notifications, and its sweep of open updates would too.
    fn rules(&self, conn: &mut PgConnection, tx: &mut Tx) -> StoreResult<Arc<MuteRules>> {
        let changes = tx.rules_revision(conn)?;
        let mut cached = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((seen, rules)) = cached.as_ref() {
            if *seen == changes {
                return Ok(Arc::clone(rules));
            }
        }
        let rows: Vec<MuteRuleRow> =
            mute_rules::table.select(MuteRuleRow::as_select()).load(conn).map_err(from_diesel)?;
        let rules = Arc::new(compile_rules(&rows)?);
        *cached = Some((changes, Arc::clone(&rules)));
        Ok(rules)
    }
}

/// A notification and when it was received.
type Received = (Notification, DateTime<Utc>);

/// Records notifications inside the caller's write transaction; returns
/// their updates, in order. An update named twice is returned twice, as it
/// stands after the batch (the answer every store gives).
pub(crate) fn record_batch(
    conn: &mut PgConnection,
    tx: &mut Tx,
    rules: &RulesCache,
    history_limit: i64,
    batch: &[Received],
) -> StoreResult<Vec<Update>> {
    let rules = rules.rules(conn, tx)?;
    let revision = tx.revision(conn)?;
    let mut recorded = Vec::with_capacity(batch.len());
    for run in distinct_runs(batch) {
        recorded.extend(record_run(conn, tx, history_limit, &rules, revision, run)?);
    }
    if batch.len() == 1 {
        return Ok(recorded);
    }
    let latest: HashMap<i64, Update> = recorded.iter().map(|u| (u.id, u.clone())).collect();
    Ok(recorded.iter().map(|u| latest[&u.id].clone()).collect())
}

/// `batch` cut into consecutive runs that each name an update (a host and
/// image pair) at most once, in order.
fn distinct_runs(batch: &[Received]) -> Vec<&[Received]> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut seen = HashSet::new();
    for (i, (n, _)) in batch.iter().enumerate() {
        if !seen.insert((n.hostname(), n.image())) {
            runs.push(&batch[start..i]);
            start = i;
            seen.clear();
            seen.insert((n.hostname(), n.image()));
        }
    }
    if start < batch.len() {
        runs.push(&batch[start..]);
    }
    runs
}

/// The upsert of a run of notifications: one statement, so that one round
/// trip (and one firing of the summary's triggers) does the work.
///
/// `n` holds the notifications, one row each (see [`RecordStatement`]);
/// a run names each update at most once, so the host and image identify a
/// row of `n`. `old` locks the existing rows and keeps their values: under
/// READ COMMITTED, a row changed by a transaction that committed meanwhile
/// is read as it is now, and `changed` updates exactly that version. For a
/// pair with no row, `inserted` makes it; should a concurrent transaction
/// have made it first, nothing is returned for that pair and the statement
/// runs again for it (it then finds the row). `event` appends each
/// notification to its update's history.
///
/// The three rules of a notification:
/// - unknown pair: the row as inserted, pending;
/// - same digest: only `last_seen_at`, `event_count` and `seen_revision`
///   change, and a re-sent notification does not bring back an acknowledged
///   update;
/// - new digest: the notification's fields, pending again: the
///   acknowledgment and the snooze end, the rules are asked afresh, and
///   `pending_since` becomes now if the update was acknowledged.
const RECORD: &str = "
), old AS (
    SELECT u.id, u.hostname, u.image, u.digest, u.snoozed_until, u.muted_by
    FROM updates AS u JOIN n ON u.hostname = n.hostname AND u.image = n.image
    FOR UPDATE OF u
), changed AS (
    UPDATE updates AS u SET
        status = CASE WHEN old.digest = n.digest THEN u.status ELSE n.status END,
        provider = CASE WHEN old.digest = n.digest THEN u.provider ELSE n.provider END,
        hub_link = CASE WHEN old.digest = n.digest THEN u.hub_link ELSE n.hub_link END,
        mime_type = CASE WHEN old.digest = n.digest THEN u.mime_type ELSE n.mime_type END,
        created = CASE WHEN old.digest = n.digest THEN u.created ELSE n.created END,
        platform = CASE WHEN old.digest = n.digest THEN u.platform ELSE n.platform END,
        diun_version = CASE WHEN old.digest = n.digest THEN u.diun_version ELSE n.diun_version END,
        metadata = CASE WHEN old.digest = n.digest THEN u.metadata ELSE n.metadata END,
        search_text = CASE WHEN old.digest = n.digest THEN u.search_text ELSE n.search_text END,
        acknowledged_at = CASE WHEN old.digest = n.digest THEN u.acknowledged_at END,
        snoozed_until = CASE WHEN old.digest = n.digest THEN u.snoozed_until END,
        muted_by = CASE WHEN old.digest = n.digest THEN u.muted_by ELSE n.muted_by END,
        pending_since = CASE WHEN old.digest <> n.digest AND u.acknowledged_at IS NOT NULL THEN n.received_at
                        ELSE u.pending_since END,
        digest = n.digest,
        last_seen_at = n.received_at,
        event_count = u.event_count + 1,
        seen_revision = n.revision
    FROM old JOIN n ON n.hostname = old.hostname AND n.image = old.image
    WHERE u.id = old.id
    RETURNING u.*, old.digest AS old_digest, old.snoozed_until AS old_snoozed_until, old.muted_by AS old_muted_by
), inserted AS (
    INSERT INTO updates (hostname, image, status, provider, hub_link, mime_type, digest, created, platform,
                         diun_version, metadata, search_text, first_seen_at, last_seen_at, event_count,
                         seen_revision, muted_by, pending_since)
    SELECT hostname, image, status, provider, hub_link, mime_type, digest, created, platform,
           diun_version, metadata, search_text, received_at, received_at, 1, revision, muted_by, received_at
    FROM n
    WHERE NOT EXISTS (SELECT FROM old WHERE old.hostname = n.hostname AND old.image = n.image)
    ON CONFLICT (hostname, image) DO NOTHING
    RETURNING *, NULL::text AS old_digest, NULL::timestamptz AS old_snoozed_until, NULL::bigint AS old_muted_by
), recorded AS (
    SELECT * FROM changed UNION ALL SELECT * FROM inserted
), event AS (
    INSERT INTO update_events (update_id, received_at, status, digest, created, diun_version, metadata, revision)
    SELECT recorded.id, n.received_at, n.status, n.digest, n.created, n.diun_version, n.metadata, n.revision
    FROM recorded JOIN n ON n.hostname = recorded.hostname AND n.image = recorded.image
    ORDER BY n.position
)
SELECT recorded.*, tags.id AS tag_id, tags.name AS tag_name
FROM recorded
LEFT JOIN image_tags ON image_tags.image = recorded.image
LEFT JOIN tags ON tags.id = image_tags.tag_id";

/// The values of a run's notifications, column by column: bound as arrays,
/// so that the statement's text is the same for any number of them, diesel
/// prepares it once per connection, and PostgreSQL plans it once.
#[derive(Default)]
struct Columns<'a> {
    hostname: Vec<&'a str>,
    image: Vec<&'a str>,
    status: Vec<&'a str>,
    provider: Vec<&'a str>,
    hub_link: Vec<&'a str>,
    mime_type: Vec<&'a str>,
    digest: Vec<&'a str>,
    created: Vec<Option<DateTime<Utc>>>,
    platform: Vec<&'a str>,
    diun_version: Vec<&'a str>,
    metadata: Vec<serde_json::Value>,
    search_text: Vec<String>,
    received_at: Vec<DateTime<Utc>>,
    muted_by: Vec<Option<i64>>,
}

impl<'a> Columns<'a> {
    fn push(&mut self, n: &'a Notification, received_at: DateTime<Utc>, muted_by: Option<i64>) {
        self.hostname.push(n.hostname());
        self.image.push(n.image());
        self.status.push(n.status().as_str());
        self.provider.push(n.provider());
        self.hub_link.push(n.hub_link());
        self.mime_type.push(n.mime_type());
        self.digest.push(n.digest());
        self.created.push(n.created());
        self.platform.push(n.platform());
        self.diun_version.push(n.diun_version());
        self.metadata.push(metadata_json(n.metadata()));
        self.search_text.push(diun_core::search_text(n.image(), n.hostname(), n.metadata()));
        self.received_at.push(received_at);
        self.muted_by.push(muted_by);
    }
}

/// [`RECORD`] with a run's values: a query type of its own, so that diesel
/// keeps it prepared (a `sql_query` is parsed and planned anew on every run).
struct RecordStatement<'a> {
    columns: &'a Columns<'a>,
    revision: i64,
}

impl QueryId for RecordStatement<'_> {
    type QueryId = RecordStatement<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for RecordStatement<'_> {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for RecordStatement<'_> {}

impl QueryFragment<Pg> for RecordStatement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let c = self.columns;
        // Each array cast to its column's type: the statement then reads the
        // same whatever types its parameters are declared with.
        out.push_sql("WITH n AS (SELECT n.*, ");
        out.push_bind_param::<BigInt, _>(&self.revision)?;
        out.push_sql("::bigint AS revision FROM unnest(");
        for texts in [&c.hostname, &c.image, &c.status, &c.provider, &c.hub_link, &c.mime_type, &c.digest] {
            out.push_bind_param::<Array<Text>, _>(texts)?;
            out.push_sql("::text[], ");
        }
        out.push_bind_param::<Array<Nullable<Timestamptz>>, _>(&c.created)?;
        out.push_sql("::timestamptz[], ");
        out.push_bind_param::<Array<Text>, _>(&c.platform)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Text>, _>(&c.diun_version)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Jsonb>, _>(&c.metadata)?;
        out.push_sql("::jsonb[], ");
        out.push_bind_param::<Array<Text>, _>(&c.search_text)?;
        out.push_sql("::text[], ");
        out.push_bind_param::<Array<Timestamptz>, _>(&c.received_at)?;
        out.push_sql("::timestamptz[], ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&c.muted_by)?;
        out.push_sql(
            "::bigint[]) WITH ORDINALITY AS n (hostname, image, status, provider, hub_link, mime_type, digest, \
             created, platform, diun_version, metadata, search_text, received_at, muted_by, position)",
        );
        out.push_sql(RECORD);
        Ok(())
    }
}

/// A row of [`RECORD`]: an update as stored, its tag, and what it was.
#[derive(QueryableByName)]
struct Recorded {
    #[diesel(embed)]
    update: UpdateRow,
    #[diesel(sql_type = Nullable<BigInt>)]
    tag_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    tag_name: Option<String>,
    /// `None` for a row this statement inserted.
    #[diesel(sql_type = Nullable<Text>)]
    old_digest: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    old_snoozed_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    old_muted_by: Option<i64>,
}

/// How many times a run's statement may find a pair taken by a concurrent
/// insert. Every writer locks the revision row first, so even once is rare;
/// more would mean that the rows returned do not match those sent.
const MAX_PASSES: usize = 3;

/// Records a run of notifications that name distinct updates, inside the
/// caller's write transaction, with the transaction's mute rules and
/// revision; returns their updates as stored, in order.
fn record_run(
    conn: &mut PgConnection,
    tx: &mut Tx,
    history_limit: i64,
    rules: &MuteRules,
    revision: i64,
    run: &[Received],
) -> StoreResult<Vec<Update>> {
    let muted_by: Vec<Option<i64>> =
        run.iter().map(|(n, _)| rules.first_match(n.hostname(), n.image(), n.status())).collect();
    let position: HashMap<(&str, &str), usize> =
        run.iter().enumerate().map(|(i, (n, _))| ((n.hostname(), n.image()), i)).collect();
    let mut recorded: Vec<Option<Recorded>> = run.iter().map(|_| None).collect();
    let mut missing: Vec<usize> = (0..run.len()).collect();
    for _ in 0..MAX_PASSES {
        let mut columns = Columns::default();
        for &i in &missing {
            let (n, received_at) = &run[i];
            columns.push(n, *received_at, muted_by[i]);
        }
        let rows: Vec<Recorded> = RecordStatement { columns: &columns, revision }.load(conn).map_err(from_diesel)?;
        for row in rows {
            let i = position.get(&(row.update.hostname.as_str(), row.update.image.as_str())).copied();
            let i = i.ok_or_else(|| StoreError::Backend("the database returned an update that was not sent".into()))?;
            recorded[i] = Some(row);
        }
        // Left out only when a concurrent transaction inserted the pair
        // between this statement's snapshot and its insert.
        missing.retain(|&i| recorded[i].is_none());
        if missing.is_empty() {
            break;
        }
    }
    if !missing.is_empty() {
        return Err(StoreError::Backend("concurrent inserts kept a notification from being recorded".into()));
    }
    run.iter()
        .zip(recorded)
        .zip(muted_by)
        .map(|(((n, _), row), muted_by)| {
            let row = row.expect("every notification of the run was recorded");
            finish(conn, tx, history_limit, n, muted_by, row)
        })
        .collect()
}

/// Trims the history of a recorded update if needed, and lists its changes
/// for the feed.
fn finish(
    conn: &mut PgConnection,
    tx: &mut Tx,
    history_limit: i64,
    n: &Notification,
    muted_by: Option<i64>,
    recorded: Recorded,
) -> StoreResult<Update> {
    let Recorded { update: row, tag_id, tag_name, old_digest, old_snoozed_until, old_muted_by } = recorded;
    let id = row.id;
    if row.event_count > history_limit {
        trim_history(conn, id, history_limit)?;
    }

    match old_digest {
        None => {
            tx.push(Change::UpdateCreated { id });
            tx.extend(muted_by.map(|rule| Change::Muted { ids: vec![id], rule }));
        }
        Some(digest) => {
            tx.push(Change::UpdateChanged { id });
            if digest != n.digest() {
                if old_snoozed_until.is_some() {
                    tx.push(Change::Unsnoozed { ids: vec![id] });
                }
                match (old_muted_by, muted_by) {
                    (old, Some(rule)) if old != Some(rule) => tx.push(Change::Muted { ids: vec![id], rule }),
                    (Some(_), None) => tx.push(Change::Unmuted { ids: vec![id] }),
                    _ => {}
                }
            }
        }
    }
    row.into_update(tag_id.zip(tag_name))
}

/// Keeps the newest `history_limit` events of update `id`: drops those older
/// than the oldest one to keep.
fn trim_history(conn: &mut PgConnection, id: i64, history_limit: i64) -> StoreResult<()> {
    let kept = diesel::alias!(update_events as kept);
    let oldest_kept = kept
        .filter(kept.field(update_events::update_id).eq(id))
        .order(kept.field(update_events::id).desc())
        .offset(history_limit - 1)
        .select(kept.field(update_events::id))
        .single_value();
    diesel::delete(
        update_events::table
            .filter(update_events::update_id.eq(id))
            .filter(update_events::id.nullable().lt(oldest_kept)),
    )
    .execute(conn)
    .map_err(from_diesel)?;
    Ok(())
}
