//! The domain of Diun Dashboard: what a Diun webhook says, what the dashboard
//! keeps of it, and the [`Store`] trait every storage backend implements.
//!
//! This crate names no database driver and no web framework, so a program can
//! embed it, and even implement [`Store`] itself, without pulling either in.
//!
//! ```
//! use diun_core::Notification;
//!
//! let body = br#"{
//!     "hostname": "nas",
//!     "status": "update",
//!     "image": "docker.io/library/nginx:1.27",
//!     "digest": "sha256:a1a1",
//!     "created": null,
//!     "metadata": null
//! }"#;
//! let notification = Notification::from_json(body).unwrap();
//! assert_eq!(notification.image(), "docker.io/library/nginx:1.27");
//! assert!(notification.metadata().is_empty());
//!
//! // A body without an image is refused, and the error names the field.
//! let err = Notification::from_json(br#"{"hostname": "nas"}"#).unwrap_err();
//! assert_eq!(err.field(), "image");
//! ```
//!
//! Every value that has rules is made only by a constructor that checks
//! them, and every check fails with the one [`ValidationError`], which names
//! the field at fault: [`Notification`] (from a webhook body, or
//! [`Notification::builder`] in a program), [`TagName`], [`MutePattern`],
//! [`NewMuteRule`], [`PageRequest`] and [`ImagePageRequest`]. A store
//! therefore takes them as they are; `?` turns a [`ValidationError`] into
//! [`StoreError::Invalid`].
//!
//! ```
//! use diun_core::{Notification, TagName, UpdateStatus};
//!
//! let notification = Notification::builder("ghcr.io/acme/api:2.1")
//!     .hostname("build-runner")
//!     .status(UpdateStatus::New)
//!     .digest("sha256:b2b2")
//!     .build()?;
//! assert_eq!(notification.hostname(), "build-runner");
//!
//! assert_eq!(TagName::parse("").unwrap_err().field(), "name");
//! # Ok::<(), diun_core::ValidationError>(())
//! ```
#![warn(missing_docs)]

mod change;
pub mod export;
pub mod feed;
mod filter;
pub mod group_commit;
pub mod image_group;
mod mute;
mod notification;
pub mod page;
mod store;
mod tag;
mod update;

pub use change::Change;
#[cfg(feature = "stream")]
pub use feed::ChangeStream;
pub use feed::{ChangeBroadcaster, ChangeSubscription};
pub use filter::{search_text, AckSelector, TagFilter, UnackSelector, UpdateFilter};
pub use group_commit::{GroupCommit, WaitedTooLong};
pub use image_group::{
    assemble_image_page, ImageCounts, ImageGroup, ImageHostRow, ImagePage, ImagePageRequest, ImagePosition,
    MAX_GROUP_HOSTS,
};
pub use mute::{MutePattern, MuteRule, MuteRules, NewMuteRule};
pub use notification::{
    image_reference, Metadata, Notification, NotificationBuilder, UpdateStatus, ValidationError, ValidationErrorKind,
    FIELD_LIMITS,
};
pub use page::{assemble_page, PageRequest, Position, UpdatePage, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use store::{
    counts_by_tag_and_by_host, GroupedCounts, HostCount, StateCounts, Store, StoreError, StoreOptions, StoreResult,
    StoreStats, Summary, TagCount, TagCountRow, REMINDER_CLAIMS_KEPT_DAYS,
};
pub use tag::{Tag, TagName, TagRef};
pub use update::{Update, UpdateEvent, UpdateState};
