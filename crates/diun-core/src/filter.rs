//! Which updates a listing or a bulk acknowledgment applies to.

/// Filters for listing updates; every field left `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateFilter {
    /// `Some(false)`: pending only; `Some(true)`: acknowledged only.
    pub acknowledged: Option<bool>,
    /// Only updates whose image carries this tag, or no tag.
    pub tag: Option<TagFilter>,
    /// Only updates from this Diun host (exact match).
    pub host: Option<String>,
    /// Only images containing this text, ignoring case.
    pub query: Option<String>,
}

/// The tag part of an [`UpdateFilter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagFilter {
    /// Images carrying the tag with this id.
    Id(i64),
    /// Images without a tag.
    Untagged,
}

/// Which updates a bulk acknowledgment covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckSelector {
    /// These updates.
    Ids(Vec<i64>),
    /// Every update whose image carries this tag.
    Tag(i64),
    /// Every update.
    All,
}
