//! One image across hosts: the updates of one image reference grouped, with
//! their counts per state, read page by page ([`crate::Store::list_images`]).
//!
//! Groups are ordered by the latest `last_seen_at` among their matching
//! updates (newest first), then by image reference. A walk through the pages
//! is a keyset walk on that order: an image seen again while a client pages
//! moves to the top, where that client's next walk (or the change feed,
//! which announces it) finds it.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;

use crate::page::cursor::{checksum, fingerprint, hex, unhex};
use crate::{StateCounts, TagRef, UpdateFilter, ValidationError};

/// The most host names an [`ImageGroup`] lists; `host_count` counts them all.
pub const MAX_GROUP_HOSTS: usize = 50;

/// One image reference and its updates on every host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageGroup {
    /// The image reference.
    pub image: String,
    /// The hosts running it (of the matching updates), by name, at most [`MAX_GROUP_HOSTS`].
    pub hosts: Vec<String>,
    /// How many hosts run it (of the matching updates).
    pub host_count: i64,
    /// Matching updates pending.
    pub pending: i64,
    /// Matching updates snoozed.
    pub snoozed: i64,
    /// Matching updates muted.
    pub muted: i64,
    /// Matching updates acknowledged.
    pub acknowledged: i64,
    /// Matching updates.
    pub total: i64,
    /// The digest of the most recently seen matching update.
    pub newest_digest: String,
    /// When the image was first seen on any of those hosts.
    pub first_seen_at: DateTime<Utc>,
    /// When the latest notification for it arrived, from any of those hosts.
    pub last_seen_at: DateTime<Utc>,
    /// The tag its image belongs to, if any.
    pub tag: Option<TagRef>,
}

/// What a store reads per group before the page is put together: the image,
/// its latest `last_seen_at`, its earliest `first_seen_at` and its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageCounts {
    /// The image reference.
    pub image: String,
    /// The latest `last_seen_at` of its matching updates.
    pub last_seen_at: DateTime<Utc>,
    /// The earliest `first_seen_at` of its matching updates.
    pub first_seen_at: DateTime<Utc>,
    /// Its matching updates per state.
    pub counts: StateCounts,
}

/// One matching update of a group's image, as a store reads it for the
/// group's host list and newest digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageHostRow {
    /// The image reference.
    pub image: String,
    /// The host.
    pub hostname: String,
    /// Its digest.
    pub digest: String,
    /// When it was last seen.
    pub last_seen_at: DateTime<Utc>,
    /// Its id (breaks ties of `last_seen_at`).
    pub id: i64,
}

/// Where a walk through the groups stands: after the group of `image`, seen at `last_seen_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePosition {
    /// The group's latest `last_seen_at`.
    pub last_seen_at: DateTime<Utc>,
    /// The group's image reference.
    pub image: String,
}

/// Which page of groups to read: at most `limit` after `after` (from the top when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePageRequest {
    limit: u32,
    /// Where the previous page ended.
    pub after: Option<ImagePosition>,
}

impl ImagePageRequest {
    /// The first page of `limit` groups; `limit` must be 1 to [`MAX_PAGE_SIZE`](crate::MAX_PAGE_SIZE).
    pub fn first(limit: u32) -> Result<Self, ValidationError> {
        crate::PageRequest::first(limit)?;
        Ok(ImagePageRequest { limit, after: None })
    }

    /// The page after `position`.
    pub fn after(limit: u32, position: ImagePosition) -> Result<Self, ValidationError> {
        Ok(ImagePageRequest { after: Some(position), ..ImagePageRequest::first(limit)? })
    }

    /// How many groups the page may hold.
    pub fn limit(&self) -> u32 {
        self.limit
    }
}

impl Default for ImagePageRequest {
    fn default() -> Self {
        ImagePageRequest { limit: crate::DEFAULT_PAGE_SIZE, after: None }
    }
}

/// One page of image groups, and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePage {
    /// The groups, most recently seen first.
    pub images: Vec<ImageGroup>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<ImagePosition>,
}

/// Builds a page of groups from what a store read, for
/// [`Store`](crate::Store) implementations:
///
/// - `groups`: the groups after `request.after`, in page order, at most
///   `limit + 1` (one more tells that another page follows);
/// - `rows`: the matching updates of those groups' images (any order);
/// - `tags`: the tag of each image that has one.
pub fn assemble_image_page(
    mut groups: Vec<ImageCounts>,
    rows: Vec<ImageHostRow>,
    tags: &HashMap<String, TagRef>,
    request: &ImagePageRequest,
) -> ImagePage {
    let limit = request.limit() as usize;
    let more = groups.len() > limit;
    groups.truncate(limit);
    let mut by_image: HashMap<&str, Vec<&ImageHostRow>> = HashMap::new();
    for row in &rows {
        by_image.entry(row.image.as_str()).or_default().push(row);
    }
    let images: Vec<ImageGroup> = groups
        .into_iter()
        .map(|group| {
            let rows = by_image.remove(group.image.as_str()).unwrap_or_default();
            let mut hosts: Vec<String> = rows.iter().map(|row| row.hostname.clone()).collect();
            hosts.sort();
            hosts.dedup();
            let host_count = hosts.len() as i64;
            hosts.truncate(MAX_GROUP_HOSTS);
            let newest_digest = rows
                .iter()
                .max_by_key(|row| (row.last_seen_at, row.id))
                .map(|row| row.digest.clone())
                .unwrap_or_default();
            ImageGroup {
                tag: tags.get(&group.image).cloned(),
                image: group.image,
                hosts,
                host_count,
                pending: group.counts.pending,
                snoozed: group.counts.snoozed,
                muted: group.counts.muted,
                acknowledged: group.counts.acknowledged,
                total: group.counts.total(),
                newest_digest,
                first_seen_at: group.first_seen_at,
                last_seen_at: group.last_seen_at,
            }
        })
        .collect();
    let next = match images.last() {
        Some(last) if more => Some(ImagePosition { last_seen_at: last.last_seen_at, image: last.image.clone() }),
        _ => None,
    };
    ImagePage { images, next }
}

/// The text form of an [`ImagePosition`] that clients pass back, bound to the
/// filter it was made for; refused (naming the field `cursor`) when edited,
/// cut short, or made for another filter or for the list of updates.
pub mod cursor {
    use super::*;

    /// Distinct from the updates' cursor version, so neither takes the other.
    const VERSION: u8 = 0x81;
    /// version, micros, filter fingerprint, then the image, then a checksum.
    const FIXED: usize = 1 + 8 + 8;

    /// The cursor for the page after `position` in the grouping of `filter`.
    pub fn encode(position: &ImagePosition, filter: &UpdateFilter) -> String {
        let mut bytes = Vec::with_capacity(FIXED + position.image.len() + 8);
        bytes.push(VERSION);
        bytes.extend_from_slice(&position.last_seen_at.timestamp_micros().to_be_bytes());
        bytes.extend_from_slice(&fingerprint(filter).to_be_bytes());
        bytes.extend_from_slice(position.image.as_bytes());
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum.to_be_bytes());
        hex(&bytes)
    }

    /// The position a cursor names, if it was made by [`encode`] for `filter`.
    pub fn decode(text: &str, filter: &UpdateFilter) -> Result<ImagePosition, ValidationError> {
        let invalid = |why: &str| ValidationError::invalid("cursor", why.to_owned());
        let bytes =
            unhex(text).filter(|b| b.len() > FIXED + 8).ok_or_else(|| invalid("is not a cursor of this API"))?;
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        if checksum(body).to_be_bytes() != sum {
            return Err(invalid("was altered or cut short"));
        }
        if body[0] != VERSION {
            return Err(invalid("is not a cursor of the image list"));
        }
        let word = |i: usize| u64::from_be_bytes(body[1 + 8 * i..9 + 8 * i].try_into().expect("8 bytes"));
        if word(1) != fingerprint(filter) {
            return Err(invalid("belongs to a listing with other filters; start again without it"));
        }
        let last_seen_at =
            Utc.timestamp_micros(word(0) as i64).single().ok_or_else(|| invalid("names an impossible time"))?;
        let image = String::from_utf8(body[FIXED..].to_vec()).map_err(|_| invalid("names an impossible image"))?;
        Ok(ImagePosition { last_seen_at, image })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> ImagePosition {
        ImagePosition { last_seen_at: Utc.timestamp_micros(1_764_000_000_123_000).unwrap(), image: "nginx:1.27".into() }
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_filter_only() {
        let filter = UpdateFilter::pending();
        let text = cursor::encode(&position(), &filter);
        assert_eq!(cursor::decode(&text, &filter).unwrap(), position());
        assert_eq!(cursor::decode(&text, &UpdateFilter::default()).unwrap_err().field(), "cursor");
        let updates_cursor = crate::page::cursor::encode(
            &crate::Position { last_seen_at: position().last_seen_at, id: 1, as_of: 1 },
            &filter,
        );
        assert!(cursor::decode(&updates_cursor, &filter).is_err());
        assert!(crate::page::cursor::decode(&text, &filter).is_err());
        for bad in ["", "zz", &text[..text.len() - 2]] {
            assert_eq!(cursor::decode(bad, &filter).unwrap_err().field(), "cursor");
        }
    }

    #[test]
    fn a_page_lists_hosts_sorted_and_the_newest_digest() {
        let t = |s| Utc.timestamp_opt(s, 0).unwrap();
        let counts = StateCounts { pending: 1, snoozed: 0, muted: 0, acknowledged: 1 };
        let group =
            |image: &str, at| ImageCounts { image: image.into(), last_seen_at: t(at), first_seen_at: t(1), counts };
        let row = |image: &str, host: &str, digest: &str, at, id| ImageHostRow {
            image: image.into(),
            hostname: host.into(),
            digest: digest.into(),
            last_seen_at: t(at),
            id,
        };
        let page = assemble_image_page(
            vec![group("a", 9), group("b", 5)],
            vec![row("a", "pi", "sha256:old", 3, 1), row("a", "nas", "sha256:new", 9, 2), row("b", "nas", "x", 5, 3)],
            &HashMap::new(),
            &ImagePageRequest::first(1).unwrap(),
        );
        assert_eq!(page.images.len(), 1);
        let a = &page.images[0];
        assert_eq!((a.hosts.clone(), a.host_count, a.total), (vec!["nas".to_owned(), "pi".to_owned()], 2, 2));
        assert_eq!(a.newest_digest, "sha256:new");
        assert_eq!(page.next, Some(ImagePosition { last_seen_at: t(9), image: "a".into() }));
    }
}
