//! Chooses the storage backend from the database URL.
//!
//! Features choose what is compiled; the URL chooses what runs.

use std::sync::Arc;

use diun_core::{Store, StoreOptions};

use crate::settings::{env_name, SettingsError};

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!(
    "diun-server needs a database backend: build with `--features sqlite`, `--features postgres`, or both (the default)"
);

/// The backends the server knows of, compiled in or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file: `sqlite://PATH`, `sqlite:PATH` or a bare path.
    Sqlite,
    /// A PostgreSQL server: `postgres://…` or `postgresql://…`.
    Postgres,
}

impl Backend {
    /// Reads the backend from a database URL.
    pub fn from_url(url: &str) -> Result<Self, SettingsError> {
        let setting = env_name("database_url");
        if url.trim().is_empty() {
            return Err(SettingsError(format!("{setting}: is empty")));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres);
        }
        if url.starts_with("sqlite:") {
            return Ok(Backend::Sqlite);
        }
        match url.split_once("://") {
            Some((scheme, _)) => Err(SettingsError(format!(
                "{setting}: unknown scheme {scheme:?}; use sqlite://PATH, a file path, or postgres://USER@HOST/DATABASE"
            ))),
            None => Ok(Backend::Sqlite),
        }
    }
}

/// Opens the store the URL names, migrating its schema.
pub fn open_store(url: &str, options: &StoreOptions) -> Result<Arc<dyn Store>, SettingsError> {
    let setting = env_name("database_url");
    let opened: Result<Arc<dyn Store>, diun_core::StoreError> = match Backend::from_url(url)? {
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => diun_store_sqlite::SqliteStore::open(url, options).map(|s| Arc::new(s) as Arc<dyn Store>),
        #[cfg(not(feature = "sqlite"))]
        Backend::Sqlite => {
            return Err(SettingsError(format!(
                "{setting}: names an SQLite database, but this build has no SQLite support (the `sqlite` cargo feature)"
            )))
        }
        #[cfg(feature = "postgres")]
        Backend::Postgres => diun_store_pg::PgStore::open(url, options).map(|s| Arc::new(s) as Arc<dyn Store>),
        #[cfg(not(feature = "postgres"))]
        Backend::Postgres => {
            return Err(SettingsError(format!(
                "{setting}: names a PostgreSQL database, but this build has no PostgreSQL support (the `postgres` cargo feature)"
            )))
        }
    };
    opened.map_err(|err| SettingsError(format!("{setting}: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_picks_backend() {
        assert_eq!(Backend::from_url("sqlite://data/x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::from_url("data/x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::from_url("postgres://u@h/db").unwrap(), Backend::Postgres);
        assert_eq!(Backend::from_url("postgresql://u@h/db").unwrap(), Backend::Postgres);
        let err = Backend::from_url("mysql://u@h/db").unwrap_err();
        assert!(err.0.starts_with("DIUN_DASHBOARD_DATABASE_URL: unknown scheme \"mysql\""), "{err}");
    }
}
