//! The webhook body Diun sends, the builder programs use instead, and the
//! checks that both pass through to make a [`Notification`].

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Free-form labels Diun attaches to a notification (container names, user labels…).
pub type Metadata = BTreeMap<String, String>;

/// The longest value, in bytes, accepted for each text field of a webhook body.
///
/// Generous for anything Diun sends, small enough that one body can never
/// bloat the database.
pub const FIELD_LIMITS: &[(&str, usize)] = &[
    ("image", IMAGE_LIMIT),
    ("hostname", 255),
    ("hub_link", 2048),
    ("diun_version", 128),
    ("provider", 64),
    ("mime_type", 255),
    ("digest", 255),
    ("platform", 128),
];
const METADATA_KEY_LIMIT: usize = 255;
const METADATA_VALUE_LIMIT: usize = 8192;

/// What kind of change Diun reports for an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum UpdateStatus {
    /// An image (or a tag of a watched repository) Diun had not seen before.
    New,
    /// A new digest behind a tag Diun already knew.
    Update,
}

impl UpdateStatus {
    /// The wire and database spelling: `new` or `update`.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::New => "new",
            UpdateStatus::Update => "update",
        }
    }

    /// Parses the wire spelling; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "new" => Some(UpdateStatus::New),
            "update" => Some(UpdateStatus::Update),
            _ => None,
        }
    }
}

impl fmt::Display for UpdateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validated notification: what Diun said about one image on one host.
///
/// Every value of this type has passed the checks, because there are only two
/// ways to make one: [`Notification::from_json`] for a webhook body, and
/// [`Notification::builder`] for a program. Both apply the same checks, so a
/// store can take any `Notification` as it is: the image is not blank, no
/// field holds a NUL (which PostgreSQL refuses) or is longer than its limit
/// ([`FIELD_LIMITS`]), and no field but a metadata value holds a control character.
///
/// The fields are private so that nothing skips those checks:
///
/// ```compile_fail,E0451
/// use diun_core::{Metadata, Notification, UpdateStatus};
///
/// let notification = Notification {
///     hostname: "nas".into(),
///     image: "".into(),
///     status: UpdateStatus::Update,
///     provider: String::new(),
///     hub_link: String::new(),
///     mime_type: String::new(),
///     digest: String::new(),
///     created: None,
///     platform: String::new(),
///     diun_version: String::new(),
///     metadata: Metadata::new(),
/// };
/// ```
///
/// ```compile_fail,E0616
/// use diun_core::Notification;
///
/// let mut notification = Notification::builder("nginx:1.27").build().unwrap();
/// notification.image = "nginx\0:1.27".into();
/// ```
///
/// What was checked is read through its accessors:
///
/// ```
/// use diun_core::{Notification, UpdateStatus};
///
/// let notification = Notification::from_json(br#"{"image": " nginx:1.27 ", "hostname": "nas"}"#).unwrap();
/// assert_eq!(notification.image(), "nginx:1.27");
/// assert_eq!(notification.hostname(), "nas");
/// // Diun always sends a status; a sender that leaves it out reports an update.
/// assert_eq!(notification.status(), UpdateStatus::Update);
/// assert_eq!(notification.created(), None);
/// assert!(notification.metadata().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    hostname: String,
    image: String,
    status: UpdateStatus,
    provider: String,
    hub_link: String,
    mime_type: String,
    digest: String,
    created: Option<DateTime<Utc>>,
    platform: String,
    diun_version: String,
    metadata: Metadata,
}

impl Notification {
    /// Starts a notification about `image`; see [`NotificationBuilder`].
    pub fn builder(image: impl Into<String>) -> NotificationBuilder {
        NotificationBuilder {
            draft: Notification {
                hostname: String::new(),
                image: image.into(),
                status: UpdateStatus::Update,
                provider: String::new(),
                hub_link: String::new(),
                mime_type: String::new(),
                digest: String::new(),
                created: None,
                platform: String::new(),
                diun_version: String::new(),
                metadata: Metadata::new(),
            },
        }
    }

    /// The Diun host that watched the image (trimmed); with the image, the
    /// identity of an update. Empty when the sender named none.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// The full image reference (trimmed, never blank), for example `docker.io/library/nginx:1.27`.
    pub fn image(&self) -> &str {
        &self.image
    }

    /// New image or new digest.
    pub fn status(&self) -> UpdateStatus {
        self.status
    }

    /// The Diun provider that found the image (`docker`, `kubernetes`, `file`…).
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// A link to the image's registry page; empty when Diun has none.
    pub fn hub_link(&self) -> &str {
        &self.hub_link
    }

    /// The manifest's media type.
    pub fn mime_type(&self) -> &str {
        &self.mime_type
    }

    /// The manifest digest, `sha256:…`.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// When the image was built, when the registry says so.
    pub fn created(&self) -> Option<DateTime<Utc>> {
        self.created
    }

    /// `os/arch[/variant]`.
    pub fn platform(&self) -> &str {
        &self.platform
    }

    /// The version of the Diun that sent the notification.
    pub fn diun_version(&self) -> &str {
        &self.diun_version
    }

    /// Provider and user labels; empty when Diun sent `null`.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }
}

/// Makes a [`Notification`] in a program: set what is known, then
/// [`build`](NotificationBuilder::build) checks it all as a webhook body is checked.
///
/// Text fields left unset are empty, the status is [`UpdateStatus::Update`],
/// `created` is unknown and the metadata empty: what a webhook body that
/// leaves them out gives.
///
/// ```
/// use diun_core::{Notification, UpdateStatus};
///
/// let notification = Notification::builder("docker.io/library/nginx:1.27")
///     .hostname("nas")
///     .status(UpdateStatus::New)
///     .provider("docker")
///     .digest("sha256:a1a1")
///     .metadata_entry("ctn_names", "web")
///     .build()?;
/// assert_eq!(notification.image(), "docker.io/library/nginx:1.27");
/// assert_eq!(notification.metadata()["ctn_names"], "web");
///
/// // The checks of the webhook apply, and the error names the field.
/// let err = Notification::builder("nginx:1.27").hostname("nas\0").build().unwrap_err();
/// assert_eq!(err.field(), "hostname");
/// assert_eq!(Notification::builder("  ").build().unwrap_err().field(), "image");
/// # Ok::<(), diun_core::ValidationError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct NotificationBuilder {
    // Unchecked until `build`, which is the only way out.
    draft: Notification,
}

/// The builder's setters: each keeps its value as given, for `build` to check.
macro_rules! setters {
    ($($(#[doc = $doc:literal])* $field:ident: $type:ty;)*) => {$(
        $(#[doc = $doc])*
        pub fn $field(mut self, $field: $type) -> Self {
            self.draft.$field = $field.into();
            self
        }
    )*};
}

impl NotificationBuilder {
    setters! {
        /// The Diun host that watched the image; trimmed by `build`.
        hostname: impl Into<String>;
        /// New image or new digest; [`UpdateStatus::Update`] unless set.
        status: UpdateStatus;
        /// The Diun provider that found the image.
        provider: impl Into<String>;
        /// A link to the image's registry page.
        hub_link: impl Into<String>;
        /// The manifest's media type.
        mime_type: impl Into<String>;
        /// The manifest digest, `sha256:…`.
        digest: impl Into<String>;
        /// When the image was built; `None` (the default) when unknown.
        created: impl Into<Option<DateTime<Utc>>>;
        /// `os/arch[/variant]`.
        platform: impl Into<String>;
        /// The version of the Diun that sent the notification.
        diun_version: impl Into<String>;
        /// Every label at once, replacing any set before.
        metadata: Metadata;
    }

    /// One label, replacing the value of a key set before.
    pub fn metadata_entry(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.draft.metadata.insert(key.into(), value.into());
        self
    }

    /// Checks the notification as [`Notification::from_json`] checks a body
    /// (the image and host trimmed, the image not blank, every field within
    /// its limit, no NUL, no control character outside metadata values);
    /// the error names the field at fault.
    pub fn build(self) -> Result<Notification, ValidationError> {
        let mut notification = self.draft;
        notification.image = image_reference(&notification.image)?;
        notification.hostname = notification.hostname.trim().to_owned();
        notification.check_lengths()?;
        Ok(notification)
    }
}

/// The body exactly as sent; every field optional so that the checks below,
/// not serde, decide what is missing and say so by name.
#[derive(Deserialize)]
struct WebhookBody {
    diun_version: Option<String>,
    hostname: Option<String>,
    status: Option<String>,
    provider: Option<String>,
    image: Option<String>,
    hub_link: Option<String>,
    mime_type: Option<String>,
    digest: Option<String>,
    created: Option<String>,
    platform: Option<String>,
    #[serde(default, deserialize_with = "metadata_without_repeats")]
    metadata: Option<Metadata>,
}

/// Reads a notification as [`Notification::from_json`] reads a webhook body,
/// with the same checks: what [`Serialize`] wrote reads back, and nothing
/// unchecked gets in.
///
/// ```
/// use diun_core::Notification;
///
/// let sent = Notification::builder("nginx:1.27").hostname("nas").build().unwrap();
/// let read: Notification = serde_json::from_str(&serde_json::to_string(&sent).unwrap()).unwrap();
/// assert_eq!(read, sent);
/// assert!(serde_json::from_str::<Notification>(r#"{"image": "a\u0000"}"#).is_err());
/// ```
impl<'de> Deserialize<'de> for Notification {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Notification::from_body(WebhookBody::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// `metadata` as a map whose keys are each given once: with a key repeated,
/// which value was meant is anybody's guess, so the body is refused.
fn metadata_without_repeats<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Metadata>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Option<Metadata>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object of text values, or null")
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_map(self)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut metadata = Metadata::new();
            while let Some(key) = map.next_key::<String>()? {
                let value = map.next_value::<String>()?;
                if metadata.contains_key(&key) {
                    return Err(serde::de::Error::custom(format_args!("duplicate field `{}`", key.escape_debug())));
                }
                metadata.insert(key, value);
            }
            Ok(Some(metadata))
        }
    }
    deserializer.deserialize_option(Visitor)
}

impl Notification {
    /// Parses and validates a webhook body.
    ///
    /// Unknown fields are ignored; `created` and `metadata` may be `null` or
    /// absent; `image` is required. Every error names the offending field.
    pub fn from_json(body: &[u8]) -> Result<Self, ValidationError> {
        // serde would read a struct from an array too; a webhook body is an object.
        if body.trim_ascii_start().starts_with(b"[") {
            return Err(ValidationError {
                field: "body".into(),
                kind: ValidationErrorKind::Invalid,
                message: "the body must be a JSON object, not an array".into(),
            });
        }
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let raw: WebhookBody =
            serde_path_to_error::deserialize(&mut deserializer).map_err(ValidationError::from_serde)?;
        deserializer.end().map_err(|err| ValidationError {
            field: "body".into(),
            kind: ValidationErrorKind::Syntax,
            message: format!("the body is not valid JSON: {err}"),
        })?;
        Self::from_body(raw)
    }

    fn from_body(raw: WebhookBody) -> Result<Self, ValidationError> {
        // The image first, so that a body wrong in several ways names its
        // image; `build` checks it again with everything else.
        let image = image_reference(raw.image.as_deref().unwrap_or_default())?;
        let status = match raw.status.as_deref().map(str::trim) {
            // A sender other than Diun may leave it out; Diun always sends it.
            None | Some("") => UpdateStatus::Update,
            Some(value) => UpdateStatus::parse(value).ok_or_else(|| {
                ValidationError::invalid("status", format!("must be \"new\" or \"update\", not {value:?}"))
            })?,
        };
        let created = match raw.created.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(value) => Some(
                DateTime::parse_from_rfc3339(value)
                    .map_err(|err| {
                        ValidationError::invalid("created", format!("must be an RFC 3339 time ({err}), not {value:?}"))
                    })?
                    .with_timezone(&Utc),
            ),
        };
        Notification::builder(image)
            .hostname(raw.hostname.unwrap_or_default())
            .status(status)
            .provider(raw.provider.unwrap_or_default())
            .hub_link(raw.hub_link.unwrap_or_default())
            .mime_type(raw.mime_type.unwrap_or_default())
            .digest(raw.digest.unwrap_or_default())
            .created(created)
            .platform(raw.platform.unwrap_or_default())
            .diun_version(raw.diun_version.unwrap_or_default())
            .metadata(raw.metadata.unwrap_or_default())
            .build()
    }

    fn check_lengths(&self) -> Result<(), ValidationError> {
        for &(field, limit) in FIELD_LIMITS {
            check_text(field, self.text_field(field), limit)?;
            check_one_line(field, self.text_field(field))?;
        }
        for (key, value) in &self.metadata {
            // Escaped, so that the field named in the error is printable too.
            let field = format!("metadata.{}", key.escape_debug());
            check_text(&field, key, METADATA_KEY_LIMIT)?;
            check_one_line(&field, key)?;
            // Values are free text (a container's command, say) and may span lines.
            check_text(&field, value, METADATA_VALUE_LIMIT)?;
        }
        Ok(())
    }

    fn text_field(&self, field: &str) -> &str {
        match field {
            "image" => &self.image,
            "hostname" => &self.hostname,
            "hub_link" => &self.hub_link,
            "diun_version" => &self.diun_version,
            "provider" => &self.provider,
            "mime_type" => &self.mime_type,
            "digest" => &self.digest,
            "platform" => &self.platform,
            _ => unreachable!("FIELD_LIMITS names only text fields"),
        }
    }
}

/// Checks an image reference as the webhook and tag assignments take it:
/// trimmed, not blank, at most 512 bytes, no NUL.
pub fn image_reference(raw: &str) -> Result<String, ValidationError> {
    let image = raw.trim();
    if image.is_empty() {
        return Err(ValidationError::missing("image"));
    }
    check_text("image", image, IMAGE_LIMIT)?;
    check_one_line("image", image)?;
    Ok(image.to_owned())
}

/// Refuses control characters (C0 such as newline and tab, DEL, C1) in a
/// field that names something: they have no place in an image, a host or a
/// digest, and a newline written to the log would forge a log line.
fn check_one_line(field: &str, value: &str) -> Result<(), ValidationError> {
    match value.chars().find(|c| c.is_control()) {
        Some(c) => Err(ValidationError::invalid(field, format!("must not contain control characters, such as {c:?}"))),
        None => Ok(()),
    }
}

const IMAGE_LIMIT: usize = 512;

fn check_text(field: &str, value: &str, limit: usize) -> Result<(), ValidationError> {
    if value.len() > limit {
        return Err(ValidationError {
            field: field.to_owned(),
            kind: ValidationErrorKind::TooLong,
            message: format!("`{field}` is {} bytes long; the limit is {limit}", value.len()),
        });
    }
    // PostgreSQL cannot store NUL in text, so refuse it everywhere alike.
    if value.contains('\0') {
        return Err(ValidationError::invalid(field, "must not contain a NUL character".into()));
    }
    Ok(())
}

/// Why a value was refused: a webhook body, a notification being built, a
/// tag name, a mute rule, a page size or cursor. The one error type of every
/// check in this crate; [`ValidationError::field`] names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    field: String,
    kind: ValidationErrorKind,
    message: String,
}

/// The broad reason behind a [`ValidationError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationErrorKind {
    /// The body is not JSON at all.
    Syntax,
    /// A required field is absent, null or blank.
    Missing,
    /// A field has the wrong type or an unacceptable value.
    Invalid,
    /// A field is longer than its limit.
    TooLong,
}

impl ValidationError {
    /// The field at fault, as a dotted path (`image`, `metadata.env`), or `body`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The broad reason.
    pub fn kind(&self) -> ValidationErrorKind {
        self.kind
    }

    /// Builds an error for a field with an unacceptable value.
    pub fn invalid(field: &str, reason: String) -> Self {
        ValidationError {
            field: field.to_owned(),
            kind: ValidationErrorKind::Invalid,
            message: format!("`{field}` {reason}"),
        }
    }

    fn missing(field: &str) -> Self {
        ValidationError {
            field: field.to_owned(),
            kind: ValidationErrorKind::Missing,
            message: format!("`{field}` is required and must not be blank"),
        }
    }

    fn from_serde(err: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = field_at_fault(&path, &inner.to_string()).unwrap_or_else(|| "body".to_owned());
                ValidationError { message: format!("`{field}`: {inner}"), field, kind: ValidationErrorKind::Invalid }
            }
            _ => ValidationError {
                field: "body".into(),
                kind: ValidationErrorKind::Syntax,
                message: format!("the body is not valid JSON: {inner}"),
            },
        }
    }
}

/// The field a serde error is about: its path, or for a missing, unknown or
/// repeated field (reported on the object that holds it) that field's name
/// below the path. `None` for the body as a whole.
fn field_at_fault(path: &str, message: &str) -> Option<String> {
    let named = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let path = (path != ".").then_some(path);
    match (path, named) {
        (Some(path), Some(name)) if path.rsplit('.').next() != Some(name) => Some(format!("{path}.{name}")),
        (Some(path), _) => Some(path.to_owned()),
        (None, name) => name.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_metadata_and_created_become_empty() {
        let n = Notification::from_json(br#"{"image":"a:1","created":null,"metadata":null}"#).unwrap();
        assert!(n.metadata().is_empty());
        assert_eq!(n.created(), None);
        assert_eq!(n.status(), UpdateStatus::Update);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let n = Notification::from_json(br#"{"image":"a:1","status":"new","future":[1,2]}"#).unwrap();
        assert_eq!(n.status(), UpdateStatus::New);
    }

    #[test]
    fn errors_name_the_field() {
        let cases: &[(&[u8], &str, ValidationErrorKind)] = &[
            (br#"{"hostname":"h"}"#, "image", ValidationErrorKind::Missing),
            (br#"{"image":"   "}"#, "image", ValidationErrorKind::Missing),
            (br#"{"image":5}"#, "image", ValidationErrorKind::Invalid),
            (br#"{"image":"a","status":"gone"}"#, "status", ValidationErrorKind::Invalid),
            (br#"{"image":"a","created":"yesterday"}"#, "created", ValidationErrorKind::Invalid),
            (br#"{"image":"a","metadata":{"k":1}}"#, "metadata.k", ValidationErrorKind::Invalid),
            (br#"{"image":"a","hostname":"x\u0000y"}"#, "hostname", ValidationErrorKind::Invalid),
            (br#"{"image":"a\nINFO forged line"}"#, "image", ValidationErrorKind::Invalid),
            (br#"{"image":"a\u001b[31m"}"#, "image", ValidationErrorKind::Invalid),
            (br#"{"image":"a","hostname":"na\rs"}"#, "hostname", ValidationErrorKind::Invalid),
            (br#"{"image":"a","digest":"sha256:\u007f"}"#, "digest", ValidationErrorKind::Invalid),
            (br#"{"image":"a","platform":"linux\u0085"}"#, "platform", ValidationErrorKind::Invalid),
            (br#"{"image":"a","metadata":{"k\tx":"v"}}"#, "metadata.k\\tx", ValidationErrorKind::Invalid),
            (br#"{"image":"a","image":"b"}"#, "image", ValidationErrorKind::Invalid),
            (br#"{"image":"a","metadata":{"k":"v","k":"w"}}"#, "metadata.k", ValidationErrorKind::Invalid),
            (br#"[1]"#, "body", ValidationErrorKind::Invalid),
            (br#"{"image":"a""#, "body", ValidationErrorKind::Syntax),
            (br#"{"image":"a"} trailing"#, "body", ValidationErrorKind::Syntax),
        ];
        for (body, field, kind) in cases {
            let err = Notification::from_json(body).unwrap_err();
            assert_eq!((err.field(), err.kind()), (*field, *kind), "{}", String::from_utf8_lossy(body));
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn metadata_values_may_span_lines() {
        let n = Notification::from_json(br#"{"image":"a","metadata":{"ctn_command":"sh -c 'a\n\tb'"}}"#).unwrap();
        assert_eq!(n.metadata()["ctn_command"], "sh -c 'a\n\tb'");
        assert!(image_reference("a\tb").is_err());
    }

    #[test]
    fn over_long_image_is_refused() {
        let body = format!(r#"{{"image":"{}"}}"#, "a".repeat(513));
        let err = Notification::from_json(body.as_bytes()).unwrap_err();
        assert_eq!((err.field(), err.kind()), ("image", ValidationErrorKind::TooLong));
        let body = format!(r#"{{"image":"{}"}}"#, "a".repeat(512));
        assert!(Notification::from_json(body.as_bytes()).is_ok());
    }

    #[test]
    fn created_keeps_the_instant_in_utc() {
        let n = Notification::from_json(br#"{"image":"a","created":"2026-11-27T06:16:48+01:00"}"#).unwrap();
        assert_eq!(n.created().unwrap().to_rfc3339(), "2026-11-27T05:16:48+00:00");
    }

    #[test]
    fn the_builder_makes_what_the_webhook_makes() {
        let body = br#"{"diun_version":"4.33.0","hostname":" nas ","status":"new","provider":"docker",
            "image":" nginx:1.27 ","hub_link":"https://hub.docker.com/_/nginx","mime_type":"application/json",
            "digest":"sha256:a1","created":"2026-11-27T05:16:48Z","platform":"linux/amd64",
            "metadata":{"ctn_names":"web","ctn_command":"sh -c 'a\nb'"}}"#;
        let built = Notification::builder(" nginx:1.27 ")
            .diun_version("4.33.0")
            .hostname(" nas ")
            .status(UpdateStatus::New)
            .provider("docker")
            .hub_link("https://hub.docker.com/_/nginx")
            .mime_type("application/json")
            .digest("sha256:a1")
            .created("2026-11-27T05:16:48Z".parse::<DateTime<Utc>>().unwrap())
            .platform("linux/amd64")
            .metadata_entry("ctn_names", "web")
            .metadata_entry("ctn_command", "sh -c 'a\nb'")
            .build()
            .unwrap();
        assert_eq!(built, Notification::from_json(body).unwrap());
        assert_eq!((built.image(), built.hostname()), ("nginx:1.27", "nas"));
    }

    #[test]
    fn the_builder_refuses_what_the_webhook_refuses() {
        let builder = || Notification::builder("nginx:1.27");
        let cases = [
            (Notification::builder(" ").build(), "image", ValidationErrorKind::Missing),
            (Notification::builder("a\0b").build(), "image", ValidationErrorKind::Invalid),
            (Notification::builder("a".repeat(513)).build(), "image", ValidationErrorKind::TooLong),
            (builder().hostname("na\ns").build(), "hostname", ValidationErrorKind::Invalid),
            (builder().hostname("h".repeat(256)).build(), "hostname", ValidationErrorKind::TooLong),
            (builder().provider("\0").build(), "provider", ValidationErrorKind::Invalid),
            (builder().hub_link("h".repeat(2049)).build(), "hub_link", ValidationErrorKind::TooLong),
            (builder().mime_type("a\u{85}").build(), "mime_type", ValidationErrorKind::Invalid),
            (builder().digest("sha256:\u{7f}").build(), "digest", ValidationErrorKind::Invalid),
            (builder().platform("p".repeat(129)).build(), "platform", ValidationErrorKind::TooLong),
            (builder().diun_version("4\t").build(), "diun_version", ValidationErrorKind::Invalid),
            (builder().metadata_entry("k\tx", "v").build(), "metadata.k\\tx", ValidationErrorKind::Invalid),
            (builder().metadata_entry("k", "v\0").build(), "metadata.k", ValidationErrorKind::Invalid),
            (builder().metadata_entry("k", "v".repeat(8193)).build(), "metadata.k", ValidationErrorKind::TooLong),
        ];
        for (result, field, kind) in cases {
            let err = result.unwrap_err();
            assert_eq!((err.field(), err.kind()), (field, kind), "{err}");
        }
        // A later entry of the same key replaces the earlier one.
        let n = builder().metadata_entry("k", "1").metadata_entry("k", "2").build().unwrap();
        assert_eq!(n.metadata()["k"], "2");
    }

    #[test]
    fn deserializing_checks_as_the_webhook_does() {
        let n = Notification::builder("nginx:1.27")
            .hostname("nas")
            .created("2026-11-27T05:16:48.5Z".parse::<DateTime<Utc>>().unwrap())
            .metadata_entry("ctn_names", "web")
            .build()
            .unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(serde_json::from_str::<Notification>(&json).unwrap(), n);
        let err = serde_json::from_str::<Notification>(r#"{"image":"a","hostname":"x\u0000"}"#).unwrap_err();
        assert!(err.to_string().contains("`hostname`"), "{err}");
        assert!(serde_json::from_str::<Notification>(r#"{"hostname":"nas"}"#).is_err());
    }
}
