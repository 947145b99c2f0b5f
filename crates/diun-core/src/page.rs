//! Paging through updates: bounded pages and the opaque cursor between them.
//!
//! Pages are ordered most recently seen first (`last_seen_at` descending,
//! then `id` descending) and walk one snapshot of that order: the first page
//! fixes the store's [revision](crate::Store::revision), and every later page
//! places each update where it stood at that revision. So an update that is
//! notified again while a client pages keeps its place in that client's walk,
//! and none is skipped or repeated; updates made after the first page are not
//! part of the walk (the change feed announces them).

use chrono::{DateTime, TimeZone, Utc};

use crate::{UpdateFilter, ValidationError};

/// How many updates a page holds when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// The most updates one page may hold.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Where a walk through the updates stands: after the update `id`, seen at
/// `last_seen_at`, in the snapshot of revision `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// `last_seen_at` of the last update returned, as of the snapshot.
    pub last_seen_at: DateTime<Utc>,
    /// The id of the last update returned.
    pub id: i64,
    /// The store revision the walk started at.
    pub as_of: i64,
}

/// Which page to read: at most `limit` updates after `after` (from the top when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    /// Where the previous page ended.
    pub after: Option<Position>,
}

impl PageRequest {
    /// The first page of `limit` updates; `limit` must be 1 to [`MAX_PAGE_SIZE`].
    pub fn first(limit: u32) -> Result<Self, ValidationError> {
        if limit == 0 || limit > MAX_PAGE_SIZE {
            return Err(ValidationError::invalid(
                "limit",
                format!("must be a whole number from 1 to {MAX_PAGE_SIZE}, not {limit}"),
            ));
        }
        Ok(PageRequest { limit, after: None })
    }

    /// The page after `position`, of `limit` updates.
    pub fn after(limit: u32, position: Position) -> Result<Self, ValidationError> {
        Ok(PageRequest { after: Some(position), ..PageRequest::first(limit)? })
    }

    /// How many updates the page may hold.
    pub fn limit(&self) -> u32 {
        self.limit
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest { limit: DEFAULT_PAGE_SIZE, after: None }
    }
}

/// One page of updates, and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdatePage {
    /// The updates, most recently seen first.
    pub updates: Vec<crate::Update>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Position>,
}

/// Every update matching `filter`, most recently seen first, read page by page.
///
/// For programs that want the whole list (an export, a test); it holds all of
/// it in memory, so a server answering requests reads pages instead.
///
/// ```
/// # fn demo(store: &dyn diun_core::Store) -> diun_core::StoreResult<()> {
/// use diun_core::{page, UpdateFilter};
///
/// for update in page::all_updates(store, &UpdateFilter::pending())? {
///     println!("{} on {}", update.image, update.hostname);
/// }
/// # Ok(())
/// # }
/// ```
pub fn all_updates(store: &dyn crate::Store, filter: &UpdateFilter) -> crate::StoreResult<Vec<crate::Update>> {
    let mut request = PageRequest { limit: MAX_PAGE_SIZE, after: None };
    let mut all = Vec::new();
    loop {
        let page = store.list_updates(filter, &request)?;
        all.extend(page.updates);
        match page.next {
            Some(next) => request.after = Some(next),
            None => return Ok(all),
        }
    }
}

/// Builds a page from what a store read, for [`Store`](crate::Store) implementations.
///
/// - `stable`: the updates not seen again since the walk began (at most
///   `revision` `as_of`), after `request.after` in page order, at least
///   `limit + 1` of them when there are that many;
/// - `moved`: every update matching the filter that was seen again since
///   `as_of` and already existed then, each with its `last_seen_at` as of
///   `as_of` (from its history).
///
/// Returns the first `limit` of both, merged in page order by where each update
/// stood at `as_of`, and the position after the last one when more follow.
pub fn assemble_page(
    stable: Vec<crate::Update>,
    moved: Vec<(DateTime<Utc>, crate::Update)>,
    request: &PageRequest,
    as_of: i64,
) -> UpdatePage {
    let after = request.after.map(|p| (p.last_seen_at, p.id));
    let mut candidates: Vec<((DateTime<Utc>, i64), crate::Update)> = stable
        .into_iter()
        .map(|u| ((u.last_seen_at, u.id), u))
        .chain(moved.into_iter().map(|(at, u)| ((at, u.id), u)))
        .filter(|(key, _)| after.is_none_or(|after| *key < after))
        .collect();
    candidates.sort_by_key(|(key, _)| std::cmp::Reverse(*key));
    let limit = request.limit() as usize;
    let more = candidates.len() > limit;
    candidates.truncate(limit);
    let next = match candidates.last() {
        Some(((last_seen_at, id), _)) if more => Some(Position { last_seen_at: *last_seen_at, id: *id, as_of }),
        _ => None,
    };
    UpdatePage { updates: candidates.into_iter().map(|(_, u)| u).collect(), next }
}

/// The text form of a [`Position`] that clients pass back, bound to the filter
/// it was made for.
///
/// It is opaque to clients: a version, the position and a fingerprint of the
/// filter, with a checksum, in URL-safe characters. A cursor that was edited,
/// cut short, or made for another filter is refused, so a client cannot walk
/// one listing with the position of another.
pub mod cursor {
    use super::*;

    const VERSION: u8 = 1;
    /// version, micros, id, as_of, filter fingerprint, checksum.
    const LEN: usize = 1 + 8 + 8 + 8 + 8 + 8;

    /// The cursor for the page after `position` in the listing of `filter`.
    pub fn encode(position: &Position, filter: &UpdateFilter) -> String {
        let mut bytes = Vec::with_capacity(LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&position.last_seen_at.timestamp_micros().to_be_bytes());
        bytes.extend_from_slice(&position.id.to_be_bytes());
        bytes.extend_from_slice(&position.as_of.to_be_bytes());
        bytes.extend_from_slice(&fingerprint(filter).to_be_bytes());
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum.to_be_bytes());
        hex(&bytes)
    }

    /// The position a cursor names, if it was made by [`encode`] for `filter`.
    ///
    /// Errors name the field `cursor`.
    pub fn decode(text: &str, filter: &UpdateFilter) -> Result<Position, ValidationError> {
        let invalid = |why: &str| ValidationError::invalid("cursor", why.to_owned());
        let bytes = unhex(text).filter(|b| b.len() == LEN).ok_or_else(|| invalid("is not a cursor of this API"))?;
        let (body, sum) = bytes.split_at(LEN - 8);
        if checksum(body).to_be_bytes() != sum {
            return Err(invalid("was altered or cut short"));
        }
        if body[0] != VERSION {
            return Err(invalid("comes from another version of the server"));
        }
        let word = |i: usize| i64::from_be_bytes(body[1 + 8 * i..9 + 8 * i].try_into().expect("8 bytes"));
        if word(3) as u64 != fingerprint(filter) {
            return Err(invalid("belongs to a listing with other filters; start again without it"));
        }
        let last_seen_at = Utc.timestamp_micros(word(0)).single().ok_or_else(|| invalid("names an impossible time"))?;
        Ok(Position { last_seen_at, id: word(1), as_of: word(2) })
    }

    /// Identifies a filter: equal filters give equal fingerprints.
    pub(crate) fn fingerprint(filter: &UpdateFilter) -> u64 {
        let text = format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            filter.state,
            filter.tag,
            filter.host,
            filter.query,
            filter.image,
            filter.pending_before.map(|t| t.timestamp_micros())
        );
        fnv1a(text.as_bytes())
    }

    /// Catches edits and truncation; it is no secret, and needs none: a forged
    /// cursor can only name a position in a listing its client may read anyway.
    pub(crate) fn checksum(bytes: &[u8]) -> u64 {
        fnv1a(bytes).rotate_left(17) ^ 0x6469_756e_6461_7368
    }

    /// FNV-1a, 64 bits: stable across versions and platforms, unlike `std`'s hasher.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
    }

    pub(crate) fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
        if text.len() % 2 != 0 || !text.is_ascii() {
            return None;
        }
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TagFilter;

    fn position() -> Position {
        Position { last_seen_at: Utc.timestamp_micros(1_764_000_000_123_000).unwrap(), id: 42, as_of: 7 }
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_filter() {
        let filter = UpdateFilter { query: Some("nginx".into()), ..UpdateFilter::pending() };
        let text = cursor::encode(&position(), &filter);
        assert_eq!(cursor::decode(&text, &filter).unwrap(), position());
    }

    #[test]
    fn foreign_altered_and_garbage_cursors_are_refused_naming_the_field() {
        let filter = UpdateFilter::default();
        let text = cursor::encode(&position(), &filter);
        let other = UpdateFilter { tag: Some(TagFilter::Untagged), ..Default::default() };
        let mut altered = text.clone().into_bytes();
        altered[20] = if altered[20] == b'0' { b'1' } else { b'0' };
        let altered = String::from_utf8(altered).unwrap();
        for bad in [cursor::decode(&text, &other), cursor::decode(&altered, &filter)]
            .into_iter()
            .chain(["", "xyz", "00", &text[..text.len() - 2], "é"].map(|t| cursor::decode(t, &filter)))
        {
            assert_eq!(bad.unwrap_err().field(), "cursor");
        }
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert!(PageRequest::first(0).is_err());
        assert!(PageRequest::first(MAX_PAGE_SIZE + 1).is_err());
        assert_eq!(PageRequest::first(MAX_PAGE_SIZE).unwrap().limit(), MAX_PAGE_SIZE);
        assert_eq!(PageRequest::default().limit(), DEFAULT_PAGE_SIZE);
    }
}
