//! Connecting to PostgreSQL: connection settings and the migrations run at open.

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use diun_core::{StoreError, StoreResult};

use crate::errors::{from_connection, from_diesel};

/// `migrations` is a symbolic link to the repository's `migrations-postgres/` (where the
/// diesel CLI and the schema-drift check work); `cargo package` copies the
/// files it points at, so that a packaged crate carries its own migrations.
const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The advisory lock that serialises migrations between replicas starting at
/// once; the bytes spell "diunmigr". Any fixed number works, as long as no
/// other program sharing the database uses it.
pub(crate) const MIGRATION_LOCK_KEY: i64 = 0x6469_756e_6d69_6772;

/// Adds libpq timeouts to `url`, unless it sets them itself.
///
/// `connect_timeout` bounds connecting to a host that does not answer at
/// all, and `tcp_user_timeout` bounds a query on a connection whose server
/// vanished, so that neither waits for the operating system's TCP timeouts
/// (minutes) when the pool's `connection_timeout` promised seconds.
///
/// `options` sets two server-side limits of twice the timeout (the server
/// answers 503 after that long anyway): `statement_timeout`, so that no
/// statement (a lock wait behind a stuck transaction, say) runs on unseen,
/// and `idle_in_transaction_session_timeout`, so that the server ends the
/// transaction of a client that stopped talking mid-way (a frozen network
/// path, a killed replica) and frees its locks for the others.
///
/// Accepts both forms libpq does: `postgres://…` URLs and `key=value` strings.
pub(crate) fn connection_url(url: &str, timeout: Duration) -> String {
    // libpq counts connect_timeout in whole seconds and treats less than 2 as 2.
    let connect_secs = timeout.as_secs_f64().ceil().max(2.0) as u64;
    let limit_ms = (timeout * 2).as_millis().max(1);
    let is_uri = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let server_limits = format!("-c statement_timeout={limit_ms} -c idle_in_transaction_session_timeout={limit_ms}");
    let options =
        if is_uri { server_limits.replace(' ', "%20").replace('=', "%3D") } else { format!("'{server_limits}'") };
    let settings = [
        ("connect_timeout", connect_secs.to_string()),
        ("tcp_user_timeout", timeout.as_millis().max(1).to_string()),
        ("options", options),
    ];
    let mut url = url.to_owned();
    for (key, value) in settings {
        if url.contains(&format!("{key}=")) {
            continue;
        }
        let separator = match (is_uri, url.contains('?')) {
            (true, true) => '&',
            (true, false) => '?',
            (false, _) => ' ',
        };
        url = format!("{url}{separator}{key}={value}");
    }
    url
}

/// Opens one connection, outside the pool.
pub(crate) fn establish(url: &str) -> StoreResult<PgConnection> {
    PgConnection::establish(url).map_err(from_connection)
}

/// Brings the schema up to date on `conn`, holding the migration lock so
/// that replicas starting together migrate one after the other.
pub(crate) fn run_migrations(conn: &mut PgConnection) -> StoreResult<()> {
    // Migrating may take longer than a request may; and waiting for another
    // replica's migration lock is expected.
    diesel::sql_query("SET statement_timeout = 0").execute(conn).map_err(from_diesel)?;
    diesel::sql_query("SET idle_in_transaction_session_timeout = 0").execute(conn).map_err(from_diesel)?;
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(conn)
        .map_err(from_diesel)?;
    let migrated = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|applied| {
            for version in applied {
                log::info!("applied the PostgreSQL migration {version}");
            }
        })
        .map_err(|err| StoreError::Backend(format!("cannot migrate the PostgreSQL database: {err}").into()));
    // The lock belongs to the session and ends with it anyway; releasing it
    // now lets the next replica go on without waiting for this connection to close.
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(MIGRATION_LOCK_KEY)
        .execute(conn)
        .map_err(from_diesel);
    migrated.and(unlocked.map(drop))
}

/// Reverts every migration, newest first; for the drift check and tests.
#[cfg(any(test, feature = "test-harness"))]
pub(crate) fn revert_all_migrations(conn: &mut PgConnection) -> StoreResult<()> {
    conn.revert_all_migrations(MIGRATIONS)
        .map(drop)
        .map_err(|err| StoreError::Backend(format!("cannot revert the migrations: {err}").into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_added_once_in_either_form() {
        let five = Duration::from_secs(5);
        let limits = "options=-c%20statement_timeout%3D10000%20-c%20idle_in_transaction_session_timeout%3D10000";
        assert_eq!(
            connection_url("postgres://u@h/db", five),
            format!("postgres://u@h/db?connect_timeout=5&tcp_user_timeout=5000&{limits}")
        );
        assert_eq!(
            connection_url("postgresql://h/db?sslmode=disable", Duration::from_millis(500)),
            "postgresql://h/db?sslmode=disable&connect_timeout=2&tcp_user_timeout=500&options=-c%20statement_timeout%3D1000\
             %20-c%20idle_in_transaction_session_timeout%3D1000"
        );
        assert_eq!(
            connection_url("postgres://h/db?connect_timeout=1&options=-c%20x%3Dy", five),
            "postgres://h/db?connect_timeout=1&options=-c%20x%3Dy&tcp_user_timeout=5000"
        );
        assert_eq!(
            connection_url("host=h dbname=db", five),
            "host=h dbname=db connect_timeout=5 tcp_user_timeout=5000 \
             options='-c statement_timeout=10000 -c idle_in_transaction_session_timeout=10000'"
        );
    }
}
