//! Rows as SQLite stores them, and their conversion to the domain types.
//!
//! SQLite has no time zone type: times are stored as UTC `TIMESTAMP` text and
//! metadata as a JSON object in `TEXT`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diun_core::{
    Metadata, MuteRule, MuteRules, Notification, StoreError, Tag, TagRef, Update, UpdateEvent, UpdateStatus,
};

use crate::errors::corrupt;
use crate::schema::{mute_rules, tags, update_events, updates};

#[derive(Queryable, Selectable)]
#[diesel(table_name = updates, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct UpdateRow {
    pub id: i64,
    pub hostname: String,
    pub image: String,
    pub status: String,
    pub provider: String,
    pub hub_link: String,
    pub mime_type: String,
    pub digest: String,
    pub created: Option<NaiveDateTime>,
    pub platform: String,
    pub diun_version: String,
    pub metadata: String,
    pub first_seen_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub event_count: i64,
    pub snoozed_until: Option<NaiveDateTime>,
    pub muted_by: Option<i64>,
    pub pending_since: NaiveDateTime,
}

impl UpdateRow {
    pub fn into_update(self, tag: Option<(i64, String)>) -> Result<Update, StoreError> {
        Ok(Update {
            id: self.id,
            status: parse_status(&self.status)?,
            metadata: parse_metadata(&self.metadata)?,
            hostname: self.hostname,
            image: self.image,
            provider: self.provider,
            hub_link: self.hub_link,
            mime_type: self.mime_type,
            digest: self.digest,
            created: self.created.map(utc),
            platform: self.platform,
            diun_version: self.diun_version,
            first_seen_at: utc(self.first_seen_at),
            last_seen_at: utc(self.last_seen_at),
            acknowledged_at: self.acknowledged_at.map(utc),
            event_count: self.event_count,
            tag: tag.map(|(id, name)| TagRef { id, name }),
            snoozed_until: self.snoozed_until.map(utc),
            muted_by: self.muted_by,
            pending_since: utc(self.pending_since),
        })
    }
}

/// The columns a notification sets, on insert and when its digest changes.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = updates, treat_none_as_null = true)]
pub(crate) struct NotificationFields<'a> {
    pub status: &'a str,
    pub provider: &'a str,
    pub hub_link: &'a str,
    pub mime_type: &'a str,
    pub digest: &'a str,
    pub created: Option<NaiveDateTime>,
    pub platform: &'a str,
    pub diun_version: &'a str,
    pub metadata: String,
    pub search_text: String,
}

impl<'a> NotificationFields<'a> {
    pub fn new(n: &'a Notification) -> Self {
        NotificationFields {
            status: n.status().as_str(),
            provider: n.provider(),
            hub_link: n.hub_link(),
            mime_type: n.mime_type(),
            digest: n.digest(),
            created: n.created().map(db_time),
            platform: n.platform(),
            diun_version: n.diun_version(),
            metadata: metadata_json(n.metadata()),
            search_text: diun_core::search_text(n.image(), n.hostname(), n.metadata()),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = update_events)]
pub(crate) struct NewEvent<'a> {
    pub update_id: i64,
    pub received_at: NaiveDateTime,
    pub status: &'a str,
    pub digest: &'a str,
    pub created: Option<NaiveDateTime>,
    pub diun_version: &'a str,
    pub metadata: String,
    pub revision: i64,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = update_events, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct EventRow {
    pub id: i64,
    pub update_id: i64,
    pub received_at: NaiveDateTime,
    pub status: String,
    pub digest: String,
    pub created: Option<NaiveDateTime>,
    pub diun_version: String,
    pub metadata: String,
}

impl TryFrom<EventRow> for UpdateEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        Ok(UpdateEvent {
            id: row.id,
            update_id: row.update_id,
            received_at: utc(row.received_at),
            status: parse_status(&row.status)?,
            digest: row.digest,
            created: row.created.map(utc),
            diun_version: row.diun_version,
            metadata: parse_metadata(&row.metadata)?,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tags, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct TagRow {
    pub id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
}

impl TagRow {
    pub fn into_tag(self, image_count: i64) -> Tag {
        Tag { id: self.id, name: self.name, created_at: utc(self.created_at), image_count }
    }
}

/// A time as stored: cut to microseconds, as PostgreSQL keeps it, so that
/// both backends give back the same instant for whatever the caller passes.
pub(crate) fn db_time(time: DateTime<Utc>) -> NaiveDateTime {
    diun_core::export::truncate_to_micros(time).naive_utc()
}

pub(crate) fn utc(time: NaiveDateTime) -> DateTime<Utc> {
    time.and_utc()
}

pub(crate) fn metadata_json(metadata: &Metadata) -> String {
    serde_json::to_string(metadata).expect("a map of strings always serialises")
}

fn parse_metadata(text: &str) -> Result<Metadata, StoreError> {
    serde_json::from_str(text).map_err(|err| corrupt("metadata", err))
}

fn parse_status(text: &str) -> Result<UpdateStatus, StoreError> {
    UpdateStatus::parse(text).ok_or_else(|| corrupt("status", text))
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = mute_rules, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct MuteRuleRow {
    pub id: i64,
    pub pattern: String,
    pub hostname: Option<String>,
    pub status: Option<String>,
    pub comment: String,
    pub created_at: NaiveDateTime,
}

impl MuteRuleRow {
    pub fn into_rule(self, held: i64) -> Result<MuteRule, StoreError> {
        Ok(MuteRule {
            id: self.id,
            status: self.status.as_deref().map(parse_status).transpose()?,
            pattern: self.pattern,
            hostname: self.hostname,
            comment: self.comment,
            created_at: utc(self.created_at),
            held: held as u64,
        })
    }
}

/// Compiles stored rules for matching.
pub(crate) fn compile_rules(rows: &[MuteRuleRow]) -> Result<MuteRules, StoreError> {
    let statuses =
        rows.iter().map(|row| row.status.as_deref().map(parse_status).transpose()).collect::<Result<Vec<_>, _>>()?;
    Ok(MuteRules::new(
        rows.iter().zip(statuses).map(|(row, status)| (row.id, row.pattern.as_str(), row.hostname.as_deref(), status)),
    ))
}
