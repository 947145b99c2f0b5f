//! What the dashboard keeps: one [`Update`] per image and host, and its history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Metadata, TagRef, UpdateStatus};

/// The latest notification for one image on one Diun host.
///
/// Its identity is `(hostname, image)`: every later notification for the same
/// pair updates this entry instead of adding another.
///
/// Its JSON form adds `state` ([`Update::state`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "UpdateJson")]
pub struct Update {
    /// Stable identifier.
    pub id: i64,
    /// The Diun host that reported the image.
    pub hostname: String,
    /// The full image reference.
    pub image: String,
    /// New image or new digest, as of the latest notification.
    pub status: UpdateStatus,
    /// The Diun provider that found the image.
    pub provider: String,
    /// A link to the image's registry page; empty when Diun has none.
    pub hub_link: String,
    /// The manifest's media type.
    pub mime_type: String,
    /// The latest manifest digest.
    pub digest: String,
    /// When the image was built, when known.
    pub created: Option<DateTime<Utc>>,
    /// `os/arch[/variant]`.
    pub platform: String,
    /// The version of the Diun that sent the latest notification.
    pub diun_version: String,
    /// Provider and user labels of the latest notification.
    pub metadata: Metadata,
    /// When the first notification for this image and host arrived.
    pub first_seen_at: DateTime<Utc>,
    /// When the latest notification arrived.
    pub last_seen_at: DateTime<Utc>,
    /// When a user acknowledged the current digest; `None` while pending.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// How many notifications arrived for this image and host.
    pub event_count: i64,
    /// The tag its image belongs to, if any.
    pub tag: Option<TagRef>,
    /// Until when a user put it aside; `None` when not snoozed. It comes back
    /// by itself at that time, or at once when a new digest arrives.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// The mute rule that keeps it from being pending, if any.
    pub muted_by: Option<i64>,
    /// When it last became pending: its first notification, or the
    /// notification that brought it back after an acknowledgment.
    pub pending_since: DateTime<Utc>,
}

/// The JSON form of an [`Update`]: its fields and its state.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Update))]
struct UpdateJson {
    /// Stable identifier.
    pub id: i64,
    /// The Diun host that reported the image.
    pub hostname: String,
    /// The full image reference.
    pub image: String,
    /// New image or new digest, as of the latest notification.
    pub status: UpdateStatus,
    /// The Diun provider that found the image.
    pub provider: String,
    /// A link to the image's registry page; empty when Diun has none.
    pub hub_link: String,
    /// The manifest's media type.
    pub mime_type: String,
    /// The latest manifest digest.
    pub digest: String,
    /// When the image was built, when known.
    pub created: Option<DateTime<Utc>>,
    /// `os/arch[/variant]`.
    pub platform: String,
    /// The version of the Diun that sent the latest notification.
    pub diun_version: String,
    /// Provider and user labels of the latest notification.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub metadata: Metadata,
    /// When the first notification for this image and host arrived.
    pub first_seen_at: DateTime<Utc>,
    /// When the latest notification arrived.
    pub last_seen_at: DateTime<Utc>,
    /// When a user acknowledged the current digest; `None` while pending.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// How many notifications arrived for this image and host.
    pub event_count: i64,
    /// The tag its image belongs to, if any.
    pub tag: Option<TagRef>,
    /// Until when a user put it aside; `None` when not snoozed. It comes back
    /// by itself at that time, or at once when a new digest arrives.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// The mute rule that keeps it from being pending, if any.
    pub muted_by: Option<i64>,
    /// When it last became pending: its first notification, or the
    /// notification that brought it back after an acknowledgment.
    pub pending_since: DateTime<Utc>,
    /// Where it stands: `pending`, `snoozed`, `muted` or `acknowledged`.
    pub state: UpdateState,
}

impl From<Update> for UpdateJson {
    fn from(u: Update) -> Self {
        UpdateJson {
            state: u.state(),
            id: u.id,
            hostname: u.hostname,
            image: u.image,
            status: u.status,
            provider: u.provider,
            hub_link: u.hub_link,
            mime_type: u.mime_type,
            digest: u.digest,
            created: u.created,
            platform: u.platform,
            diun_version: u.diun_version,
            metadata: u.metadata,
            first_seen_at: u.first_seen_at,
            last_seen_at: u.last_seen_at,
            acknowledged_at: u.acknowledged_at,
            event_count: u.event_count,
            tag: u.tag,
            snoozed_until: u.snoozed_until,
            muted_by: u.muted_by,
            pending_since: u.pending_since,
        }
    }
}

// The schema of an update is that of its JSON form.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Update {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <UpdateJson as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Update {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Update")
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        <UpdateJson as utoipa::ToSchema>::schemas(schemas)
    }
}

impl Update {
    /// True while it waits for a user: not acknowledged, not muted, not snoozed.
    pub fn is_pending(&self) -> bool {
        self.state() == UpdateState::Pending
    }

    /// Where it stands, by precedence: acknowledged, then muted, then snoozed, else pending.
    pub fn state(&self) -> UpdateState {
        if self.acknowledged_at.is_some() {
            UpdateState::Acknowledged
        } else if self.muted_by.is_some() {
            UpdateState::Muted
        } else if self.snoozed_until.is_some() {
            UpdateState::Snoozed
        } else {
            UpdateState::Pending
        }
    }
}

/// Where an update stands in triage; exactly one holds, by the precedence of
/// [`Update::state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum UpdateState {
    /// Waiting for a user.
    Pending,
    /// Put aside until a time.
    Snoozed,
    /// Kept from being pending by a mute rule.
    Muted,
    /// A user acknowledged its current digest.
    Acknowledged,
}

impl UpdateState {
    /// The wire spelling: `pending`, `snoozed`, `muted` or `acknowledged`.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateState::Pending => "pending",
            UpdateState::Snoozed => "snoozed",
            UpdateState::Muted => "muted",
            UpdateState::Acknowledged => "acknowledged",
        }
    }

    /// Parses the wire spelling; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        [UpdateState::Pending, UpdateState::Snoozed, UpdateState::Muted, UpdateState::Acknowledged]
            .into_iter()
            .find(|state| state.as_str() == value)
    }
}

/// One received notification, kept in an update's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateEvent {
    /// Stable identifier; grows with arrival order.
    pub id: i64,
    /// The update this event belongs to.
    pub update_id: i64,
    /// When the notification arrived.
    pub received_at: DateTime<Utc>,
    /// The status Diun reported.
    pub status: UpdateStatus,
    /// The digest Diun reported.
    pub digest: String,
    /// The build time Diun reported.
    pub created: Option<DateTime<Utc>>,
    /// The version of the Diun that sent it.
    pub diun_version: String,
    /// The metadata Diun sent.
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, String>))]
    pub metadata: Metadata,
}
