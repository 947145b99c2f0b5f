//! Opening SQLite: where the file is, and the settings every connection needs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{CustomizeConnection, Error as R2d2Error};
use diesel::SqliteConnection;
use diun_core::StoreError;

/// Turns a database URL into a file path.
///
/// Accepts `sqlite://PATH`, `sqlite:PATH` and a bare path, each optionally
/// followed by `?synchronous=full|normal` (see [`Synchronous`]). An in-memory
/// database is refused: each pooled connection would see a different one.
pub fn database_path(url: &str) -> Result<PathBuf, StoreError> {
    let url = url.split_once('?').map_or(url, |(path, _)| path);
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    if path.is_empty() {
        return Err(StoreError::Invalid("the SQLite database path is empty".into()));
    }
    if path == ":memory:" || path.contains("mode=memory") {
        return Err(StoreError::Invalid(
            "an in-memory SQLite database cannot be shared by the connection pool; give a file path".into(),
        ));
    }
    Ok(PathBuf::from(path))
}

/// When SQLite waits for the disk: what a commit survives.
///
/// In WAL mode, `Normal` syncs the log at checkpoints only: a commit survives
/// a crash of the process, but the last commits before a power cut or an OS
/// crash may be lost. `Full` syncs the log at every commit: a commit survives
/// a power cut too, for one disk sync per transaction (group commit makes that
/// one sync per batch of webhooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// `PRAGMA synchronous = NORMAL`.
    Normal,
    /// `PRAGMA synchronous = FULL`.
    Full,
}

impl Synchronous {
    /// The `synchronous` parameter of a database URL (`?synchronous=normal`);
    /// [`Synchronous::Full`] when absent.
    pub fn from_url(url: &str) -> Result<Synchronous, StoreError> {
        let Some((_, query)) = url.split_once('?') else { return Ok(Synchronous::Full) };
        let mut synchronous = Synchronous::Full;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("synchronous", value)) if value.eq_ignore_ascii_case("full") => synchronous = Synchronous::Full,
                Some(("synchronous", value)) if value.eq_ignore_ascii_case("normal") => {
                    synchronous = Synchronous::Normal
                }
                _ => {
                    return Err(StoreError::Invalid(format!(
                        "the SQLite URL takes only `?synchronous=full` or `?synchronous=normal`, not {pair:?}"
                    )))
                }
            }
        }
        Ok(synchronous)
    }

    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// Creates the folder that will hold the database file.
pub(crate) fn create_parent_folder(path: &Path) -> Result<(), StoreError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent)
            .map_err(|err| StoreError::Unavailable(format!("cannot create the folder {}: {err}", parent.display()))),
        _ => Ok(()),
    }
}

/// Applied to every pooled connection: SQLite keeps these per connection.
#[derive(Debug)]
pub(crate) struct ConnectionSettings {
    /// How long a writer waits for another writer before giving up.
    pub busy_timeout: Duration,
    /// What a commit waits for.
    pub synchronous: Synchronous,
}

impl CustomizeConnection<SqliteConnection, R2d2Error> for ConnectionSettings {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), R2d2Error> {
        // foreign_keys makes ON DELETE CASCADE work; it is off by default in SQLite.
        // Checkpoints are the checkpointer's (see `checkpointer`), never a commit's.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; \
             PRAGMA wal_autocheckpoint = 0;",
            self.busy_timeout.as_millis(),
            self.synchronous.pragma()
        ))
        .map_err(R2d2Error::QueryError)
    }
}

/// Runs SQLite's `PRAGMA integrity_check` on the database at `url`, on a
/// connection of its own: `["ok"]` for a sound file, else what it found.
pub fn check_integrity(url: &str) -> Result<Vec<String>, StoreError> {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    let path = database_path(url)?;
    let path = path.to_str().ok_or_else(|| StoreError::Invalid("the path is not valid UTF-8".into()))?;
    let mut conn = SqliteConnection::establish(path)
        .map_err(|err| StoreError::Unavailable(format!("cannot open {path}: {err}")))?;
    let checks: Vec<Check> =
        diesel::sql_query("PRAGMA integrity_check").load(&mut conn).map_err(crate::errors::from_diesel)?;
    Ok(checks.into_iter().map(|check| check.integrity_check).collect())
}

/// Below this much free space on the database's file system, [`ping`] says
/// the disk is full: a write may need that much (WAL frames, a checkpoint).
pub const FREE_SPACE_NEEDED: u64 = 1024 * 1024;

/// The store's health check: the database answers, and the file system
/// holding it has room for writes ([`StoreError::Full`] otherwise, while
/// reads still work).
pub(crate) fn ping(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct DatabaseFile {
        #[diesel(sql_type = Text)]
        file: String,
    }
    let files: Vec<DatabaseFile> = diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .load(conn)
        .map_err(crate::errors::from_diesel)?;
    let Some(file) = files.into_iter().next().filter(|f| !f.file.is_empty()) else { return Ok(()) };
    match free_space(Path::new(&file.file)) {
        Some(free) if free < FREE_SPACE_NEEDED => Err(StoreError::Full(format!(
            "{} KiB free beside {}, {} KiB needed",
            free / 1024,
            file.file,
            FREE_SPACE_NEEDED / 1024
        ))),
        _ => Ok(()),
    }
}

/// Bytes free for an unprivileged writer on the file system holding `file`;
/// `None` when that cannot be told.
fn free_space(file: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let stats = rustix::fs::statvfs(folder).ok()?;
        Some(stats.f_bavail.saturating_mul(stats.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_bare_paths_name_a_file() {
        assert_eq!(database_path("sqlite://data/x.db").unwrap(), PathBuf::from("data/x.db"));
        assert_eq!(database_path("sqlite:///var/lib/x.db").unwrap(), PathBuf::from("/var/lib/x.db"));
        assert_eq!(database_path("sqlite:x.db").unwrap(), PathBuf::from("x.db"));
        assert_eq!(database_path("./x.db").unwrap(), PathBuf::from("./x.db"));
        assert!(database_path(":memory:").is_err());
        assert_eq!(database_path("sqlite:///x.db?synchronous=normal").unwrap(), PathBuf::from("/x.db"));
        assert_eq!(Synchronous::from_url("sqlite:///x.db").unwrap(), Synchronous::Full);
        assert_eq!(Synchronous::from_url("/x.db?synchronous=NORMAL").unwrap(), Synchronous::Normal);
        assert!(Synchronous::from_url("/x.db?synchronous=off").is_err());
        assert!(Synchronous::from_url("/x.db?mode=memory").is_err());
        assert!(database_path("sqlite://").is_err());
    }
}
