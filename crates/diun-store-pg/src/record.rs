//! Recording notifications: the webhook's path into PostgreSQL.
//!
//! Each round trip to the server costs a webhook latency that no amount of
//! local speed wins back, so a notification is recorded in as few as the
//! rules allow. A transaction holding one notification sends:
//!
//! 1. `BEGIN`;
//! 2. the revision (see [`Tx::revision`]), which also tells whether the mute
//!    rules changed since this replica last read them (only then a query for
//!    them follows);
//! 3. one statement that locks the update, upserts it, appends its event and
//!    returns the update as stored, its tag, and what it was before;
//! 4. the change feed's `NOTIFY`;
//! 5. `COMMIT`.
//!
//! Trimming the history adds a statement, once an update holds more events
//! than the history limit.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz, Untyped};
use diun_core::{Change, MuteRules, Notification, StoreResult, Update};

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

/// Records notifications inside the caller's write transaction; returns
/// their updates, in order. An update named twice is returned twice, as it
/// stands after the batch (the answer every store gives).
pub(crate) fn record_batch(
    conn: &mut PgConnection,
    tx: &mut Tx,
    rules: &RulesCache,
    history_limit: i64,
    batch: &[(Notification, DateTime<Utc>)],
) -> StoreResult<Vec<Update>> {
    let rules = rules.rules(conn, tx)?;
    let recorded = batch
        .iter()
        .map(|(n, at)| record_one(conn, tx, history_limit, &rules, n, *at))
        .collect::<StoreResult<Vec<Update>>>()?;
    if batch.len() == 1 {
        return Ok(recorded);
    }
    let latest: std::collections::HashMap<i64, Update> = recorded.iter().map(|u| (u.id, u.clone())).collect();
    Ok(recorded.iter().map(|u| latest[&u.id].clone()).collect())
}

/// The upsert: one statement, so that one round trip does the work.
///
/// `n` is the notification, its values bound once each (see
/// [`RecordStatement`]). `old` locks the existing row (if any) and keeps its
/// values: under READ COMMITTED, a row changed by a transaction that
/// committed meanwhile is read as it is now, and `changed` updates exactly
/// that version. With no row, `inserted` makes it; should a concurrent
/// transaction have made it first, nothing is returned and the statement
/// runs again (it then finds the row). `event` appends the notification to
/// the history.
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
    SELECT u.id, u.digest, u.snoozed_until, u.muted_by
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
    FROM old, n
    WHERE u.id = old.id
    RETURNING u.*, old.digest AS old_digest, old.snoozed_until AS old_snoozed_until, old.muted_by AS old_muted_by
), inserted AS (
    INSERT INTO updates (hostname, image, status, provider, hub_link, mime_type, digest, created, platform,
                         diun_version, metadata, search_text, first_seen_at, last_seen_at, event_count,
                         seen_revision, muted_by, pending_since)
    SELECT hostname, image, status, provider, hub_link, mime_type, digest, created, platform,
           diun_version, metadata, search_text, received_at, received_at, 1, revision, muted_by, received_at
    FROM n
    WHERE NOT EXISTS (SELECT FROM old)
    ON CONFLICT (hostname, image) DO NOTHING
    RETURNING *, NULL::text AS old_digest, NULL::timestamptz AS old_snoozed_until, NULL::bigint AS old_muted_by
), recorded AS (
    SELECT * FROM changed UNION ALL SELECT * FROM inserted
), event AS (
    INSERT INTO update_events (update_id, received_at, status, digest, created, diun_version, metadata, revision)
    SELECT recorded.id, n.received_at, n.status, n.digest, n.created, n.diun_version, n.metadata, n.revision
    FROM recorded, n
)
SELECT recorded.*, tags.id AS tag_id, tags.name AS tag_name
FROM recorded
LEFT JOIN image_tags ON image_tags.image = recorded.image
LEFT JOIN tags ON tags.id = image_tags.tag_id";

/// [`RECORD`] with a notification's values: a query type of its own, so
/// that diesel prepares it once per connection and PostgreSQL plans it once
/// (a `sql_query` is parsed and planned anew on every run, which cost more
/// than the round trips it saves).
#[derive(Clone, Copy)]
struct RecordStatement<'a> {
    n: &'a Notification,
    created: Option<DateTime<Utc>>,
    metadata: &'a serde_json::Value,
    search_text: &'a str,
    received_at: DateTime<Utc>,
    revision: i64,
    muted_by: Option<i64>,
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
        let n = self.n;
        // Each value cast to its column's type: the statement then reads the
        // same whatever types its parameters are declared with.
        out.push_sql(
            "WITH n (hostname, image, status, provider, hub_link, mime_type, digest, created, platform, \
             diun_version, metadata, search_text, received_at, revision, muted_by) AS (VALUES (",
        );
        for text in
            [n.hostname(), n.image(), n.status().as_str(), n.provider(), n.hub_link(), n.mime_type(), n.digest()]
        {
            out.push_bind_param::<Text, str>(text)?;
            out.push_sql("::text, ");
        }
        out.push_bind_param::<Nullable<Timestamptz>, _>(&self.created)?;
        out.push_sql("::timestamptz, ");
        out.push_bind_param::<Text, str>(n.platform())?;
        out.push_sql("::text, ");
        out.push_bind_param::<Text, str>(n.diun_version())?;
        out.push_sql("::text, ");
        out.push_bind_param::<Jsonb, _>(self.metadata)?;
        out.push_sql("::jsonb, ");
        out.push_bind_param::<Text, str>(self.search_text)?;
        out.push_sql("::text, ");
        out.push_bind_param::<Timestamptz, _>(&self.received_at)?;
        out.push_sql("::timestamptz, ");
        out.push_bind_param::<BigInt, _>(&self.revision)?;
        out.push_sql("::bigint, ");
        out.push_bind_param::<Nullable<BigInt>, _>(&self.muted_by)?;
        out.push_sql("::bigint)");
        out.push_sql(RECORD);
        Ok(())
    }
}

/// A row of [`RECORD`]: the update as stored, its tag, and what it was.
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

/// Records one notification inside the caller's write transaction, with the
/// transaction's mute rules; returns its update as stored.
fn record_one(
    conn: &mut PgConnection,
    tx: &mut Tx,
    history_limit: i64,
    rules: &MuteRules,
    n: &Notification,
    received_at: DateTime<Utc>,
) -> StoreResult<Update> {
    let revision = tx.revision(conn)?;
    let muted_by = rules.first_match(n.hostname(), n.image(), n.status());
    let metadata = metadata_json(n.metadata());
    let search_text = diun_core::search_text(n.image(), n.hostname(), n.metadata());
    let statement = RecordStatement {
        n,
        created: n.created(),
        metadata: &metadata,
        search_text: &search_text,
        received_at,
        revision,
        muted_by,
    };
    let recorded = loop {
        let rows: Vec<Recorded> = statement.load(conn).map_err(from_diesel)?;
        // Empty only when a concurrent transaction inserted the pair between
        // this statement's snapshot and its insert: the next run finds it.
        if let Some(recorded) = rows.into_iter().next() {
            break recorded;
        }
    };
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
