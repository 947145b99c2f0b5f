//! Tags: user-made groups of images.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ValidationError;

/// A user-made group of images, such as "media" or "critical".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tag {
    /// Stable identifier.
    pub id: i64,
    /// The name as the user wrote it (trimmed).
    pub name: String,
    /// When the tag was made.
    pub created_at: DateTime<Utc>,
    /// How many image references carry this tag.
    pub image_count: i64,
}

/// The short form of a tag shown on each update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagRef {
    /// The tag's identifier.
    pub id: i64,
    /// The tag's name.
    pub name: String,
}

/// A checked tag name: trimmed, 1 to 64 characters, no control characters.
///
/// Two names that differ only in case are the same tag; [`TagName::key`] is
/// the form stores keep unique.
///
/// [`TagName::parse`] is the only way to make one:
///
/// ```compile_fail,E0423
/// let name = diun_core::TagName(String::from(" "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagName(String);

impl TagName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 64;

    /// Trims and checks a name; errors name the field `name`.
    ///
    /// ```
    /// use diun_core::TagName;
    ///
    /// assert_eq!(TagName::parse("  Media ")?.as_str(), "Media");
    /// assert_eq!(TagName::parse("   ").unwrap_err().field(), "name");
    /// # Ok::<(), diun_core::ValidationError>(())
    /// ```
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = |why: String| ValidationError::invalid("name", why);
        let name = raw.trim();
        let chars = name.chars().count();
        if chars == 0 {
            return Err(invalid("must not be blank".into()));
        }
        if chars > Self::MAX_CHARS {
            return Err(invalid(format!("has at most {} characters; this one has {chars}", Self::MAX_CHARS)));
        }
        if name.chars().any(char::is_control) {
            return Err(invalid("must not contain control characters".into()));
        }
        Ok(TagName(name.to_owned()))
    }

    /// The name as given, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that must be unique among tags.
    ///
    /// Computed here rather than by each database's collation, so that every
    /// backend agrees on which names clash, beyond ASCII too.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for TagName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(TagName::parse("  media ").unwrap().as_str(), "media");
        assert_eq!(TagName::parse("   ").unwrap_err().field(), "name");
        assert!(TagName::parse(&"é".repeat(64)).is_ok());
        assert_eq!(TagName::parse(&"é".repeat(65)).unwrap_err().field(), "name");
        assert_eq!(TagName::parse("a\nb").unwrap_err().field(), "name");
    }

    #[test]
    fn key_folds_case_beyond_ascii() {
        assert_eq!(TagName::parse("ÉTÉ Media").unwrap().key(), "été media");
    }
}
