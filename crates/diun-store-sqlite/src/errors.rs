//! The one place where diesel and r2d2 errors become [`StoreError`]s.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diun_core::StoreError;

pub(crate) fn from_diesel(err: DieselError) -> StoreError {
    match err {
        DieselError::NotFound => StoreError::NotFound("the record".into()),
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            StoreError::Conflict(info.message().to_owned())
        }
        // SQLITE_FULL: the disk (or the file system's quota) is full.
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, ref info) if info.message().contains("is full") => {
            StoreError::Full(info.message().to_owned())
        }
        // A busy database after the busy timeout: another writer held it too long.
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, ref info) if info.message().contains("locked") => {
            StoreError::Unavailable(info.message().to_owned())
        }
        other => StoreError::Backend(Box::new(other)),
    }
}

pub(crate) fn from_pool(err: r2d2::Error) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

pub(crate) fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} cannot be read: {err}").into())
}

/// Carries a [`StoreError`] through diesel's transaction functions, which
/// need an error type that a diesel error converts into.
pub(crate) struct TxError(pub StoreError);

impl From<DieselError> for TxError {
    fn from(err: DieselError) -> Self {
        TxError(from_diesel(err))
    }
}
