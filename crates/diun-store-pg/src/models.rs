//! Rows as PostgreSQL stores them, and their conversion to the domain types.
//!
//! Times are `timestamptz` (read and written as UTC instants) and metadata is
//! a `jsonb` object of string to string.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diun_core::{Metadata, MuteRule, MuteRules, StoreError, Tag, TagRef, Update, UpdateEvent, UpdateStatus};
use serde_json::Value;

use crate::errors::corrupt;
use crate::schema::{mute_rules, tags, update_events, updates};

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = updates, check_for_backend(diesel::pg::Pg))]
pub(crate) struct UpdateRow {
    pub id: i64,
    pub hostname: String,
    pub image: String,
    pub status: String,
    pub provider: String,
    pub hub_link: String,
    pub mime_type: String,
    pub digest: String,
    pub created: Option<DateTime<Utc>>,
    pub platform: String,
    pub diun_version: String,
    pub metadata: Value,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub event_count: i64,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub muted_by: Option<i64>,
    pub pending_since: DateTime<Utc>,
}

impl UpdateRow {
    pub fn into_update(self, tag: Option<(i64, String)>) -> Result<Update, StoreError> {
        Ok(Update {
            id: self.id,
            status: parse_status(&self.status)?,
            metadata: parse_metadata(self.metadata)?,
            hostname: self.hostname,
            image: self.image,
            provider: self.provider,
            hub_link: self.hub_link,
            mime_type: self.mime_type,
            digest: self.digest,
            created: self.created,
            platform: self.platform,
            diun_version: self.diun_version,
            first_seen_at: self.first_seen_at,
            last_seen_at: self.last_seen_at,
            acknowledged_at: self.acknowledged_at,
            event_count: self.event_count,
            tag: tag.map(|(id, name)| TagRef { id, name }),
            snoozed_until: self.snoozed_until,
            muted_by: self.muted_by,
            pending_since: self.pending_since,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = update_events, check_for_backend(diesel::pg::Pg))]
pub(crate) struct EventRow {
    pub id: i64,
    pub update_id: i64,
    pub received_at: DateTime<Utc>,
    pub status: String,
    pub digest: String,
    pub created: Option<DateTime<Utc>>,
    pub diun_version: String,
    pub metadata: Value,
}

impl TryFrom<EventRow> for UpdateEvent {
    type Error = StoreError;

    fn try_from(row: EventRow) -> Result<Self, StoreError> {
        Ok(UpdateEvent {
            id: row.id,
            update_id: row.update_id,
            received_at: row.received_at,
            status: parse_status(&row.status)?,
            digest: row.digest,
            created: row.created,
            diun_version: row.diun_version,
            metadata: parse_metadata(row.metadata)?,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tags, check_for_backend(diesel::pg::Pg))]
pub(crate) struct TagRow {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl TagRow {
    pub fn into_tag(self, image_count: i64) -> Tag {
        Tag { id: self.id, name: self.name, created_at: self.created_at, image_count }
    }
}

pub(crate) fn metadata_json(metadata: &Metadata) -> Value {
    serde_json::to_value(metadata).expect("a map of strings always serialises")
}

fn parse_metadata(value: Value) -> Result<Metadata, StoreError> {
    serde_json::from_value(value).map_err(|err| corrupt("metadata", err))
}

fn parse_status(text: &str) -> Result<UpdateStatus, StoreError> {
    UpdateStatus::parse(text).ok_or_else(|| corrupt("status", text))
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = mute_rules, check_for_backend(diesel::pg::Pg))]
pub(crate) struct MuteRuleRow {
    pub id: i64,
    pub pattern: String,
    pub hostname: Option<String>,
    pub status: Option<String>,
    pub comment: String,
    pub created_at: DateTime<Utc>,
}

impl MuteRuleRow {
    pub fn into_rule(self, held: i64) -> Result<MuteRule, StoreError> {
        Ok(MuteRule {
            id: self.id,
            status: self.status.as_deref().map(parse_status).transpose()?,
            pattern: self.pattern,
            hostname: self.hostname,
            comment: self.comment,
            created_at: self.created_at,
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
