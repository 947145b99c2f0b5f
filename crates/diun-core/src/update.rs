//! What the dashboard keeps: one [`Update`] per image and host, and its history.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Metadata, TagRef, UpdateStatus};

/// The latest notification for one image on one Diun host.
///
/// Its identity is `(hostname, image)`: every later notification for the same
/// pair updates this entry instead of adding another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
}

impl Update {
    /// True while no user has acknowledged the current digest.
    pub fn is_pending(&self) -> bool {
        self.acknowledged_at.is_none()
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
