//! Mute rules: patterns of image references (optionally for one host and one
//! status) whose notifications are stored but never become pending.
//!
//! Matching happens here, in Rust, for every backend: a database only stores
//! the rules and which rule mutes which update.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{UpdateStatus, ValidationError};

/// A checked glob over image references, such as `ghcr.io/acme/*:nightly`.
///
/// - `*` matches any run of characters within one path segment (never `/`);
/// - `**` matches any run of characters, `/` included: across segments
///   (`**/nginx:*` matches `nginx` from any registry and namespace);
/// - `?` matches one character other than `/`;
/// - `[abc]`, `[a-z]` and `[!abc]` match one character of (or not of) a set.
///
/// Everything else matches itself, case included. A pattern matches the
/// whole reference as Diun reports it (`docker.io/library/nginx:1.27`).
///
/// ```
/// use diun_core::MutePattern;
///
/// let nightly = MutePattern::parse("ghcr.io/acme/*:nightly").unwrap();
/// assert!(nightly.matches("ghcr.io/acme/api:nightly"));
/// assert!(!nightly.matches("ghcr.io/acme/team/api:nightly"));
/// assert!(MutePattern::parse("ghcr.io/**:nightly").unwrap().matches("ghcr.io/acme/team/api:nightly"));
/// assert_eq!(MutePattern::parse("docker.io/[abc").unwrap_err().field(), "pattern");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutePattern {
    text: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`
    AnyChar,
    /// `*`
    Segment,
    /// `**`
    Anything,
    /// `[…]`: ranges (single characters are ranges of one), negated or not.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl MutePattern {
    /// The longest pattern, in characters.
    pub const MAX_CHARS: usize = 255;

    /// Checks and compiles a pattern; errors name the field `pattern`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = |why: String| ValidationError::invalid("pattern", why);
        let text = raw.trim();
        if text.is_empty() {
            return Err(invalid("must not be blank".into()));
        }
        let length = text.chars().count();
        if length > Self::MAX_CHARS {
            return Err(invalid(format!("has at most {} characters; this one has {length}", Self::MAX_CHARS)));
        }
        if text.chars().any(char::is_control) {
            return Err(invalid("must not contain control characters".into()));
        }
        let mut tokens = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' if chars.next_if_eq(&'*').is_some() => {
                    // `***` and beyond mean what `**` means.
                    while chars.next_if_eq(&'*').is_some() {}
                    Token::Anything
                }
                '*' => Token::Segment,
                '?' => Token::AnyChar,
                '[' => {
                    let negated = chars.next_if(|c| *c == '!' || *c == '^').is_some();
                    let mut ranges = Vec::new();
                    let mut closed = false;
                    // A `]` first in the set is a member, as in shell globs.
                    let mut first = true;
                    while let Some(c) = chars.next() {
                        if c == ']' && !first {
                            closed = true;
                            break;
                        }
                        first = false;
                        let mut ahead = chars.clone();
                        match (ahead.next(), ahead.next()) {
                            (Some('-'), Some(end)) if end != ']' => {
                                if end < c {
                                    return Err(invalid(format!("has the range `{c}-{end}` backwards")));
                                }
                                chars.next();
                                chars.next();
                                ranges.push((c, end));
                            }
                            _ => ranges.push((c, c)),
                        }
                    }
                    if !closed {
                        return Err(invalid("opens a `[` set that it never closes with `]`".into()));
                    }
                    Token::Class { negated, ranges }
                }
                ']' => return Err(invalid("closes a `]` set that it never opened with `[`".into())),
                other => Token::Literal(other),
            });
        }
        Ok(MutePattern { text: text.to_owned(), tokens })
    }

    /// The pattern as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The characters every match starts with: the pattern up to its first
    /// wildcard, for a store to narrow its candidates before matching.
    pub fn literal_prefix(&self) -> String {
        self.tokens
            .iter()
            .map_while(|token| match token {
                Token::Literal(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// Whether `image` matches the whole pattern.
    pub fn matches(&self, image: &str) -> bool {
        let text: Vec<char> = image.chars().collect();
        // reachable[i]: the tokens so far can consume exactly text[..i].
        // Quadratic at worst (both sides are short), never exponential.
        let mut reachable = vec![false; text.len() + 1];
        reachable[0] = true;
        for token in &self.tokens {
            let mut next = vec![false; text.len() + 1];
            match token {
                Token::Segment | Token::Anything => {
                    let crosses = matches!(token, Token::Anything);
                    let mut open = false;
                    for i in 0..=text.len() {
                        open |= reachable[i];
                        next[i] = open;
                        if i < text.len() && text[i] == '/' && !crosses {
                            open = false;
                        }
                    }
                }
                single => {
                    for i in 0..text.len() {
                        next[i + 1] = reachable[i] && single_matches(single, text[i]);
                    }
                }
            }
            reachable = next;
        }
        reachable[text.len()]
    }
}

fn single_matches(token: &Token, c: char) -> bool {
    match token {
        Token::Literal(literal) => *literal == c,
        Token::AnyChar => c != '/',
        Token::Class { negated, ranges } => {
            let inside = ranges.iter().any(|(start, end)| (*start..=*end).contains(&c));
            inside != *negated && c != '/'
        }
        Token::Segment | Token::Anything => unreachable!("handled by the caller"),
    }
}

impl fmt::Display for MutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A mute rule as a user asks for it, checked: made only by [`NewMuteRule::new`].
///
/// ```
/// use diun_core::{NewMuteRule, UpdateStatus};
///
/// let rule = NewMuteRule::new("ghcr.io/acme/*:nightly", Some(" nas "), Some(UpdateStatus::Update), "nightly builds")?;
/// assert_eq!(rule.pattern().as_str(), "ghcr.io/acme/*:nightly");
/// assert_eq!(rule.hostname(), Some("nas"));
/// assert_eq!(rule.status(), Some(UpdateStatus::Update));
/// assert_eq!(rule.comment(), "nightly builds");
/// assert_eq!(NewMuteRule::new("nginx:*", Some(""), None, "").unwrap_err().field(), "hostname");
/// # Ok::<(), diun_core::ValidationError>(())
/// ```
///
/// Its parts are private, so a rule cannot skip the checks:
///
/// ```compile_fail,E0451
/// use diun_core::{MutePattern, NewMuteRule};
///
/// let rule = NewMuteRule {
///     pattern: MutePattern::parse("nginx:*").unwrap(),
///     hostname: Some("nas\n".into()),
///     status: None,
///     comment: String::new(),
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMuteRule {
    pattern: MutePattern,
    hostname: Option<String>,
    status: Option<UpdateStatus>,
    comment: String,
}

impl NewMuteRule {
    /// The longest comment, in characters.
    pub const MAX_COMMENT_CHARS: usize = 500;

    /// Checks a rule's parts; errors name the field at fault
    /// (`pattern`, `hostname`, `comment`).
    pub fn new(
        pattern: &str,
        hostname: Option<&str>,
        status: Option<UpdateStatus>,
        comment: &str,
    ) -> Result<Self, ValidationError> {
        let pattern = MutePattern::parse(pattern)?;
        let hostname = match hostname.map(str::trim) {
            None => None,
            Some("") => {
                return Err(ValidationError::invalid(
                    "hostname",
                    "must not be blank; leave it out for every host".into(),
                ))
            }
            Some(host) if host.len() > 255 => {
                return Err(ValidationError::invalid("hostname", "has at most 255 bytes".into()))
            }
            Some(host) if host.chars().any(char::is_control) => {
                return Err(ValidationError::invalid("hostname", "must not contain control characters".into()))
            }
            Some(host) => Some(host.to_owned()),
        };
        let comment = comment.trim();
        let length = comment.chars().count();
        if length > Self::MAX_COMMENT_CHARS {
            return Err(ValidationError::invalid(
                "comment",
                format!("has at most {} characters; this one has {length}", Self::MAX_COMMENT_CHARS),
            ));
        }
        if comment.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ValidationError::invalid("comment", "must not contain control characters".into()));
        }
        Ok(NewMuteRule { pattern, hostname, status, comment: comment.to_owned() })
    }

    /// Which image references it covers.
    pub fn pattern(&self) -> &MutePattern {
        &self.pattern
    }

    /// Only updates from this Diun host (trimmed); every host when `None`.
    pub fn hostname(&self) -> Option<&str> {
        self.hostname.as_deref()
    }

    /// Only notifications of this status; both when `None`.
    pub fn status(&self) -> Option<UpdateStatus> {
        self.status
    }

    /// Why the rule exists, for the people who read it later (trimmed); may be empty.
    pub fn comment(&self) -> &str {
        &self.comment
    }
}

/// A stored mute rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MuteRule {
    /// Stable identifier; an update's `muted_by` names it.
    pub id: i64,
    /// The glob over image references (see [`MutePattern`]).
    pub pattern: String,
    /// Only updates from this host; every host when `None`.
    pub hostname: Option<String>,
    /// Only notifications of this status; both when `None`.
    pub status: Option<UpdateStatus>,
    /// Why the rule exists.
    pub comment: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// How many updates it keeps muted now (acknowledged ones not counted).
    pub held: u64,
}

impl MuteRule {
    /// Whether the rule covers a notification of `status` for `image` on `hostname`.
    ///
    /// A stored pattern that no longer parses (written by hand) matches nothing.
    pub fn covers(&self, hostname: &str, image: &str, status: UpdateStatus) -> bool {
        self.hostname.as_deref().is_none_or(|host| host == hostname)
            && self.status.is_none_or(|wanted| wanted == status)
            && MutePattern::parse(&self.pattern).is_ok_and(|pattern| pattern.matches(image))
    }
}

/// Rules compiled once for matching many notifications (a batch, a new rule's sweep).
#[derive(Debug, Clone, Default)]
pub struct MuteRules {
    /// By id, oldest first: the oldest matching rule mutes.
    rules: Vec<(i64, MutePattern, Option<String>, Option<UpdateStatus>)>,
}

impl MuteRules {
    /// Compiles `rules`; a stored pattern that no longer parses matches nothing.
    pub fn new<'a>(rules: impl IntoIterator<Item = (i64, &'a str, Option<&'a str>, Option<UpdateStatus>)>) -> Self {
        let mut rules: Vec<_> = rules
            .into_iter()
            .filter_map(|(id, pattern, host, status)| {
                Some((id, MutePattern::parse(pattern).ok()?, host.map(str::to_owned), status))
            })
            .collect();
        rules.sort_by_key(|(id, ..)| *id);
        MuteRules { rules }
    }

    /// The oldest rule covering a notification of `status` for `image` on `hostname`.
    pub fn first_match(&self, hostname: &str, image: &str, status: UpdateStatus) -> Option<i64> {
        self.rules
            .iter()
            .find(|(_, pattern, host, wanted)| {
                host.as_deref().is_none_or(|host| host == hostname)
                    && wanted.is_none_or(|wanted| wanted == status)
                    && pattern.matches(image)
            })
            .map(|(id, ..)| *id)
    }

    /// Whether there is no rule at all (then nothing needs matching).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, image: &str) -> bool {
        MutePattern::parse(pattern).unwrap().matches(image)
    }

    #[test]
    fn a_star_stays_within_one_segment() {
        assert!(matches("ghcr.io/acme/*:nightly", "ghcr.io/acme/api:nightly"));
        assert!(matches("ghcr.io/acme/*:nightly", "ghcr.io/acme/:nightly"));
        assert!(!matches("ghcr.io/acme/*:nightly", "ghcr.io/acme/team/api:nightly"));
        assert!(!matches("ghcr.io/acme/*:nightly", "ghcr.io/acme/api:latest"));
        assert!(matches("ghcr.io/acme/*", "ghcr.io/acme/api:1.2"));
        assert!(matches("*/*/nginx:*", "docker.io/library/nginx:1.27"));
    }

    #[test]
    fn a_double_star_crosses_segments() {
        assert!(matches("ghcr.io/**:nightly", "ghcr.io/acme/team/api:nightly"));
        assert!(matches("**/nginx:*", "docker.io/library/nginx:1.27"));
        assert!(matches("**", "anything/at/all:1"));
        assert!(!matches("**/nginx:*", "docker.io/library/nginx-extras:1.27"));
        assert!(matches("***", "a/b"));
    }

    #[test]
    fn question_marks_and_sets_match_one_character() {
        assert!(matches("redis:7.?", "redis:7.2"));
        assert!(!matches("redis:7.?", "redis:7.10"));
        assert!(!matches("a?b", "a/b"));
        assert!(matches("redis:[67].*", "redis:6.2"));
        assert!(!matches("redis:[67].*", "redis:5.0"));
        assert!(matches("redis:[0-9]", "redis:4"));
        assert!(matches("redis:[!0-9]", "redis:x"));
        assert!(!matches("redis:[!0-9]", "redis:4"));
        assert!(matches("x[]]", "x]"));
    }

    #[test]
    fn matching_is_exact_and_case_sensitive() {
        assert!(matches("nginx:1.27", "nginx:1.27"));
        assert!(!matches("nginx:1.27", "docker.io/library/nginx:1.27"));
        assert!(!matches("NGINX:1.27", "nginx:1.27"));
        assert!(!matches("nginx", "nginx:1.27"));
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*a".repeat(100);
        let image = "a".repeat(200) + "b";
        let started = std::time::Instant::now();
        assert!(!matches(&pattern, &image));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn bad_patterns_are_refused_naming_the_field() {
        for bad in ["", "   ", "nginx:[1", "nginx]", "a\0b", "x[b-a]", &"a".repeat(256)] {
            let err = MutePattern::parse(bad).unwrap_err();
            assert_eq!(err.field(), "pattern", "{bad:?}");
        }
        assert_eq!(MutePattern::parse("  nginx:* ").unwrap().as_str(), "nginx:*");
        assert_eq!(MutePattern::parse("ghcr.io/acme/*:x").unwrap().literal_prefix(), "ghcr.io/acme/");
        assert_eq!(MutePattern::parse("**").unwrap().literal_prefix(), "");
    }

    #[test]
    fn rule_parts_are_checked_naming_the_field() {
        assert_eq!(NewMuteRule::new("nginx", Some(" "), None, "").unwrap_err().field(), "hostname");
        assert_eq!(NewMuteRule::new("nginx", None, None, &"c".repeat(501)).unwrap_err().field(), "comment");
        let rule = NewMuteRule::new("nginx", Some(" nas "), Some(UpdateStatus::New), " why ").unwrap();
        assert_eq!((rule.hostname(), rule.comment()), (Some("nas"), "why"));
    }

    #[test]
    fn the_oldest_matching_rule_mutes() {
        let rules = MuteRules::new([
            (5, "nginx:*", None, None),
            (2, "nginx:*", Some("nas"), Some(UpdateStatus::Update)),
            (9, "[", None, None),
        ]);
        assert_eq!(rules.first_match("nas", "nginx:1", UpdateStatus::Update), Some(2));
        assert_eq!(rules.first_match("nas", "nginx:1", UpdateStatus::New), Some(5));
        assert_eq!(rules.first_match("pi", "nginx:1", UpdateStatus::Update), Some(5));
        assert_eq!(rules.first_match("pi", "redis:1", UpdateStatus::Update), None);
    }
}
