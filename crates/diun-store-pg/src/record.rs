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
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz};
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
/// `old` locks the existing row (if any) and keeps its values: under READ
/// COMMITTED, a row changed by a transaction that committed meanwhile is
/// read as it is now, and `changed` updates exactly that version. With no
/// row, `inserted` makes it; should a concurrent transaction have made it
/// first, nothing is returned and the statement runs again (it then finds
/// the row). `event` appends the notification to the history.
///
/// The three rules of a notification:
/// - unknown pair: the row as inserted, pending;
/// - same digest: only `last_seen_at`, `event_count` and `seen_revision`
///   change, and a re-sent notification does not bring back an acknowledged
///   update;
/// - new digest: the notification's fields, pending again: the
///   acknowledgment and the snooze end, the rules are asked afresh, and
///   `pending_since` becomes now if the update was acknowledged.
///
/// Binds: $1 hostname, $2 image, $3 status, $4 provider, $5 hub_link,
/// $6 mime_type, $7 digest, $8 created, $9 platform, $10 diun_version,
/// $11 metadata, $12 search_text, $13 received_at, $14 revision, $15 muted_by.
const RECORD: &str = "
WITH old AS (
    SELECT id, digest, snoozed_until, muted_by FROM updates
    WHERE hostname = $1 AND image = $2
    FOR UPDATE
), changed AS (
    UPDATE updates AS u SET
        status = CASE WHEN old.digest = $7 THEN u.status ELSE $3 END,
        provider = CASE WHEN old.digest = $7 THEN u.provider ELSE $4 END,
        hub_link = CASE WHEN old.digest = $7 THEN u.hub_link ELSE $5 END,
        mime_type = CASE WHEN old.digest = $7 THEN u.mime_type ELSE $6 END,
        created = CASE WHEN old.digest = $7 THEN u.created ELSE $8 END,
        platform = CASE WHEN old.digest = $7 THEN u.platform ELSE $9 END,
        diun_version = CASE WHEN old.digest = $7 THEN u.diun_version ELSE $10 END,
        metadata = CASE WHEN old.digest = $7 THEN u.metadata ELSE $11 END,
        search_text = CASE WHEN old.digest = $7 THEN u.search_text ELSE $12 END,
        acknowledged_at = CASE WHEN old.digest = $7 THEN u.acknowledged_at END,
        snoozed_until = CASE WHEN old.digest = $7 THEN u.snoozed_until END,
        muted_by = CASE WHEN old.digest = $7 THEN u.muted_by ELSE $15 END,
        pending_since = CASE WHEN old.digest <> $7 AND u.acknowledged_at IS NOT NULL THEN $13
                        ELSE u.pending_since END,
        digest = $7,
        last_seen_at = $13,
        event_count = u.event_count + 1,
        seen_revision = $14
    FROM old
    WHERE u.id = old.id
    RETURNING u.*, old.digest AS old_digest, old.snoozed_until AS old_snoozed_until, old.muted_by AS old_muted_by
), inserted AS (
    INSERT INTO updates (hostname, image, status, provider, hub_link, mime_type, digest, created, platform,
                         diun_version, metadata, search_text, first_seen_at, last_seen_at, event_count,
                         seen_revision, muted_by, pending_since)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, 1, $14, $15, $13
    WHERE NOT EXISTS (SELECT FROM old)
    ON CONFLICT (hostname, image) DO NOTHING
    RETURNING *, NULL::text AS old_digest, NULL::timestamptz AS old_snoozed_until, NULL::bigint AS old_muted_by
), recorded AS (
    SELECT * FROM changed UNION ALL SELECT * FROM inserted
), event AS (
    INSERT INTO update_events (update_id, received_at, status, digest, created, diun_version, metadata, revision)
    SELECT id, $13, $3, $7, $8, $10, $11, $14 FROM recorded
)
SELECT recorded.*, tags.id AS tag_id, tags.name AS tag_name
FROM recorded
LEFT JOIN image_tags ON image_tags.image = recorded.image
LEFT JOIN tags ON tags.id = image_tags.tag_id";

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
    let recorded = loop {
        let rows: Vec<Recorded> = diesel::sql_query(RECORD)
            .bind::<Text, _>(n.hostname())
            .bind::<Text, _>(n.image())
            .bind::<Text, _>(n.status().as_str())
            .bind::<Text, _>(n.provider())
            .bind::<Text, _>(n.hub_link())
            .bind::<Text, _>(n.mime_type())
            .bind::<Text, _>(n.digest())
            .bind::<Nullable<Timestamptz>, _>(n.created())
            .bind::<Text, _>(n.platform())
            .bind::<Text, _>(n.diun_version())
            .bind::<Jsonb, _>(&metadata)
            .bind::<Text, _>(&search_text)
            .bind::<Timestamptz, _>(received_at)
            .bind::<BigInt, _>(revision)
            .bind::<Nullable<BigInt>, _>(muted_by)
            .load(conn)
            .map_err(from_diesel)?;
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
