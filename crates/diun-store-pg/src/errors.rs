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
        // Or the transaction lost a race (serialization failure), or the server
        // turned read-only (a failover in progress): trying again may work.
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::SerializationFailure
            | DatabaseErrorKind::ReadOnlyTransaction,
            info,
        ) => StoreError::Unavailable(info.message().to_owned()),
        DieselError::DatabaseError(_, ref info) if is_disk_full(info.message()) => {
            StoreError::Full(info.message().to_owned())
        }
        DieselError::DatabaseError(_, ref info) if is_retryable(info.message()) => {
            StoreError::Unavailable(info.message().to_owned())
        }
        // Left behind when a rollback could not reach the server; r2d2 drops the connection.
        DieselError::BrokenTransactionManager => {
            StoreError::Unavailable("the connection broke in the middle of a transaction".into())
        }
        other => StoreError::Backend(Box::new(other)),
    }
}

/// Errors that diesel does not name, by PostgreSQL's (English) message, that
/// trying again later may cure: a deadlock (40P01), a statement or lock
/// timeout (57014, 55P03), the server shutting down, starting or in recovery
/// (57P01…57P03), the session ended for idling in a transaction (25P03),
/// too many connections (53300).
fn is_retryable(message: &str) -> bool {
    const RETRYABLE: [&str; 9] = [
        "deadlock detected",
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
        "could not obtain lock",
        "terminating connection",
        "the database system is",
        "idle-in-transaction",
        "too many clients",
        "remaining connection slots are reserved",
    ];
    RETRYABLE.iter().any(|known| message.contains(known))
}

/// The server's disk is full (53100).
fn is_disk_full(message: &str) -> bool {
    message.contains("No space left on device") || message.contains("could not extend file")
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

#[cfg(test)]
mod tests {
    use diesel::result::DatabaseErrorInformation;

    use super::*;

    struct Info(&'static str);

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn error(kind: DatabaseErrorKind, message: &'static str) -> StoreError {
        from_diesel(DieselError::DatabaseError(kind, Box::new(Info(message))))
    }

    #[test]
    fn retryable_errors_are_unavailable_not_backend_faults() {
        let retryable = [
            (DatabaseErrorKind::SerializationFailure, "could not serialize access due to concurrent update"),
            (DatabaseErrorKind::ReadOnlyTransaction, "cannot execute INSERT in a read-only transaction"),
            (DatabaseErrorKind::ClosedConnection, "server closed the connection unexpectedly"),
            (DatabaseErrorKind::Unknown, "deadlock detected"),
            (DatabaseErrorKind::Unknown, "canceling statement due to statement timeout"),
            (DatabaseErrorKind::Unknown, "terminating connection due to administrator command"),
            (DatabaseErrorKind::Unknown, "terminating connection due to idle-in-transaction timeout"),
            (DatabaseErrorKind::Unknown, "the database system is in recovery mode"),
            (DatabaseErrorKind::Unknown, "sorry, too many clients already"),
        ];
        for (kind, message) in retryable {
            assert!(matches!(error(kind, message), StoreError::Unavailable(_)), "{message}");
        }
        let full = error(DatabaseErrorKind::Unknown, "could not extend file \"base/1/2\": No space left on device");
        assert!(matches!(full, StoreError::Full(_)), "{full:?}");
        let fault = error(DatabaseErrorKind::Unknown, "column \"x\" does not exist");
        assert!(matches!(fault, StoreError::Backend(_)), "{fault:?}");
        let clash = error(DatabaseErrorKind::UniqueViolation, "duplicate key");
        assert!(matches!(clash, StoreError::Conflict(_)), "{clash:?}");
    }
}
