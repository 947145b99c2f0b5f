//! Throwaway PostgreSQL databases for tests (feature `test-harness`).
//!
//! Tests name the server in `DIUN_DASHBOARD_TEST_POSTGRES_URL`, for example
//! `postgres://postgres@127.0.0.1:5432`; each [`TestDatabase`] is a fresh
//! database on it, dropped again when the test ends. Without the variable the
//! tests skip (and say so), except under CI (`CI` set), where they fail.
//!
//! ```no_run
//! use diun_core::{Store, StoreOptions};
//! use diun_store_pg::testing::TestDatabase;
//!
//! let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
//! db.store().ping().unwrap();
//! ```

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use diesel::connection::SimpleConnection;
use diun_core::StoreOptions;

use crate::connection::{establish, revert_all_migrations};
use crate::PgStore;

/// The environment variable naming the PostgreSQL server that tests use.
pub const URL_VARIABLE: &str = "DIUN_DASHBOARD_TEST_POSTGRES_URL";

/// A fresh database with a [`PgStore`] open on it; dropped with the value.
#[derive(Debug)]
pub struct TestDatabase {
    // An Option so that Drop can close the pool before dropping the database.
    store: Option<PgStore>,
    server_url: String,
    url: String,
    name: String,
}

impl TestDatabase {
    /// Creates a uniquely named database on the server in
    /// [`URL_VARIABLE`] and opens a store on it with `options`.
    ///
    /// Returns `None` when the variable is unset, after saying once on stderr
    /// that PostgreSQL tests are skipped.
    ///
    /// # Panics
    ///
    /// When the variable is unset under CI (the `CI` variable is set), so that
    /// CI never skips these tests silently; and when the server refuses to
    /// create the database or the store cannot open it.
    pub fn create(options: StoreOptions) -> Option<TestDatabase> {
        let server_url = server_url()?;
        let name = unique_name();
        let mut admin = establish(&server_url)
            .unwrap_or_else(|err| panic!("cannot connect to the PostgreSQL test server ({URL_VARIABLE}): {err}"));
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|err| panic!("cannot create the test database {name}: {err}"));
        let mut database = TestDatabase { store: None, url: database_url(&server_url, &name), server_url, name };
        let store = PgStore::open(&database.url, &options)
            .unwrap_or_else(|err| panic!("cannot open a store on the test database {}: {err}", database.name));
        database.store = Some(store);
        Some(database)
    }

    /// The store on this database.
    pub fn store(&self) -> &PgStore {
        self.store.as_ref().expect("the store lives until the database is dropped")
    }

    /// The database's name, `diun_test_…`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of this database, for opening more stores on it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Reverts every migration, newest first, with their down migrations;
    /// the next [`PgStore::open`] runs them all again.
    pub fn revert_migrations(&self) -> diun_core::StoreResult<()> {
        revert_all_migrations(&mut establish(&self.url)?)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        drop(self.store.take());
        // FORCE ends connections the pool may still be opening in the background.
        let dropped = establish(&self.server_url).and_then(|mut admin| {
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name))
                .map_err(crate::errors::from_diesel)
        });
        if let Err(err) = dropped {
            eprintln!("cannot drop the test database {}: {err}", self.name);
        }
    }
}

/// The server URL from the environment; see [`TestDatabase::create`].
fn server_url() -> Option<String> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ if running_in_ci() => {
            panic!("{URL_VARIABLE} is not set: PostgreSQL tests must run in CI (set it to postgres://…)")
        }
        _ => {
            static SKIPPED: Once = Once::new();
            SKIPPED.call_once(|| {
                // Straight to stderr: libtest captures `eprintln!` of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "PostgreSQL tests skipped: set {URL_VARIABLE}=postgres://… to run them"
                );
            });
            None
        }
    }
}

fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.trim(), "" | "0" | "false"))
}

/// `diun_test_<pid>_<counter>_<random>`: unique across the tests of one
/// process and across processes (and machines) sharing the server.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = RandomState::new().build_hasher().finish() as u32;
    format!("diun_test_{}_{counter}_{random:08x}", std::process::id())
}

/// The URL of database `name` on the server at `server_url`: its path
/// replaced, its query kept.
fn database_url(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url = format!("{url}?{query}");
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replaces_the_path_only() {
        assert_eq!(database_url("postgres://postgres@127.0.0.1:5432", "t"), "postgres://postgres@127.0.0.1:5432/t");
        assert_eq!(database_url("postgres://u:p@h/postgres", "t"), "postgres://u:p@h/t");
        assert_eq!(database_url("postgresql://h:5432/?sslmode=disable", "t"), "postgresql://h:5432/t?sslmode=disable");
    }

    #[test]
    fn names_are_unique_and_valid_identifiers() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        assert!(a.len() <= 63 && a.starts_with("diun_test_"), "{a}");
        assert!(a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{a}");
    }
}
