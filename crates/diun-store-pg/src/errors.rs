//! The one place where diesel and r2d2 errors become [`StoreError`]s.

use diesel::r2d2::PoolError;
use diesel::result::{ConnectionError, DatabaseErrorKind, Error as DieselError};
use diun_core::StoreError;

pub(crate) fn from_diesel(err: DieselError) -> StoreError {
    match err {
        DieselError::NotFound => StoreError::NotFound("the record".into()),
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            StoreError::Conflict(info.message().to_owned())
        }
        // The server went away (restart, failover, network): a new connection may work.
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            info,
        ) => StoreError::Unavailable(info.message().to_owned()),
        // Left behind when a rollback could not reach the server; r2d2 drops the connection.
        DieselError::BrokenTransactionManager => {
            StoreError::Unavailable("the connection broke in the middle of a transaction".into())
        }
        other => StoreError::Backend(Box::new(other)),
    }
}

pub(crate) fn from_pool(err: PoolError) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

pub(crate) fn from_connection(err: ConnectionError) -> StoreError {
    match err {
        ConnectionError::InvalidCString(_) | ConnectionError::InvalidConnectionUrl(_) => {
            StoreError::Invalid(format!("the PostgreSQL URL is not valid: {err}"))
        }
        ConnectionError::CouldntSetupConfiguration(inner) => from_diesel(inner),
        other => StoreError::Unavailable(other.to_string()),
    }
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
