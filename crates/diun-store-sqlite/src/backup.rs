//! A consistent copy of a live SQLite dashboard, taken while it keeps serving.
//!
//! [`backup`] runs `VACUUM INTO` on its own connection. In WAL mode (which
//! [`crate::SqliteStore`] sets) that is one read transaction: it sees the
//! database as of its start, and writers go on writing to the WAL meanwhile,
//! so webhooks are not held up. The copy is written next to its destination
//! under a temporary name, checked with `PRAGMA integrity_check`, and only
//! then renamed into place: a failed backup leaves nothing behind.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::SqliteConnection;
use diun_core::{StoreError, StoreResult};

use crate::connection::database_path;

/// What [`backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The copy.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The updates it holds.
    pub updates: i64,
    /// How long the copy took.
    pub elapsed: Duration,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// Copies the database at `url` (`sqlite://PATH`, `sqlite:PATH` or a path)
/// to the new file `destination`, consistently, while other processes keep
/// using it. `busy_timeout` bounds the wait for a lock (only a checkpoint or
/// a schema migration in progress takes one that a reader must wait for).
///
/// Refuses a destination that exists, a source that does not, and a source
/// that is not a Diun Dashboard database.
pub fn backup(url: &str, destination: &Path, busy_timeout: Duration) -> StoreResult<BackupReport> {
    let source = database_path(url)?;
    if !source.is_file() {
        return Err(StoreError::Invalid(format!("there is no SQLite database at {}", source.display())));
    }
    if destination.exists() {
        return Err(StoreError::Invalid(format!("{} already exists; give a new file name", destination.display())));
    }
    let name = destination
        .file_name()
        .ok_or_else(|| StoreError::Invalid(format!("{} is not a file name", destination.display())))?;
    let partial = destination.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    let _ = std::fs::remove_file(&partial);
    let started = Instant::now();
    let result = copy(&source, &partial, busy_timeout).and_then(|updates| {
        std::fs::rename(&partial, destination).map_err(|err| {
            StoreError::Unavailable(format!("cannot rename {} to {}: {err}", partial.display(), destination.display()))
        })?;
        Ok(updates)
    });
    let updates = match result {
        Ok(updates) => updates,
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            return Err(err);
        }
    };
    let bytes = std::fs::metadata(destination).map(|m| m.len()).unwrap_or_default();
    Ok(BackupReport { path: destination.to_owned(), bytes, updates, elapsed: started.elapsed() })
}

/// `VACUUM INTO partial`, then checks the copy; returns its number of updates.
fn copy(source: &Path, partial: &Path, busy_timeout: Duration) -> StoreResult<i64> {
    let failed = |what: &str, err: &dyn std::fmt::Display| StoreError::Unavailable(format!("{what}: {err}"));
    let source_str = utf8(source)?;
    let partial_str = utf8(partial)?;
    // A reader like any other (the file exists: checked above).
    let mut conn =
        SqliteConnection::establish(source_str).map_err(|err| failed(&format!("cannot open {source_str}"), &err))?;
    conn.batch_execute(&format!("PRAGMA busy_timeout = {};", busy_timeout.as_millis()))
        .map_err(|err| failed("cannot set the busy timeout", &err))?;
    let count = "SELECT count(*) AS count FROM updates";
    diesel::sql_query(count).get_result::<Count>(&mut conn).map_err(|err| {
        StoreError::Invalid(format!("{source_str} is not a Diun Dashboard database (no updates table): {err}"))
    })?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(partial_str)
        .execute(&mut conn)
        .map_err(|err| failed(&format!("cannot copy {source_str} to {partial_str}"), &err))?;
    drop(conn);

    let mut copy = SqliteConnection::establish(partial_str)
        .map_err(|err| failed(&format!("cannot open the copy {partial_str}"), &err))?;
    let checks = diesel::sql_query("PRAGMA integrity_check")
        .load::<Check>(&mut copy)
        .map_err(|err| failed("cannot check the copy", &err))?;
    if checks.len() != 1 || checks[0].integrity_check != "ok" {
        let found: Vec<_> = checks.into_iter().map(|c| c.integrity_check).collect();
        return Err(StoreError::Backend(format!("the copy is damaged: {}", found.join("; ")).into()));
    }
    let updates =
        diesel::sql_query(count).get_result::<Count>(&mut copy).map_err(|err| failed("cannot count", &err))?;
    Ok(updates.count)
}

fn utf8(path: &Path) -> StoreResult<&str> {
    path.to_str().ok_or_else(|| StoreError::Invalid(format!("the path {} is not valid UTF-8", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use chrono::Utc;
    use diun_core::{Notification, Store, StoreOptions};

    #[test]
    fn copies_a_live_database_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("live.db");
        let store = SqliteStore::open(source.to_str().unwrap(), &StoreOptions::default()).unwrap();
        for i in 0..3 {
            let body = format!(r#"{{"hostname": "nas", "image": "app{i}:1", "digest": "sha256:{i}"}}"#);
            store.record_notification(&Notification::from_json(body.as_bytes()).unwrap(), Utc::now()).unwrap();
        }
        let copy = dir.path().join("copy.db");
        let report = backup(source.to_str().unwrap(), &copy, Duration::from_secs(5)).unwrap();
        assert_eq!((report.updates, report.path.as_path()), (3, copy.as_path()));
        assert!(report.bytes > 0);
        let reopened = SqliteStore::open(copy.to_str().unwrap(), &StoreOptions::default()).unwrap();
        let stats = reopened.stats().unwrap();
        assert_eq!(stats.pending_by_host.get("nas"), Some(&3));

        let err = backup(source.to_str().unwrap(), &copy, Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        let missing = dir.path().join("missing.db");
        let err = backup(missing.to_str().unwrap(), &dir.path().join("x.db"), Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("no SQLite database"), "{err}");
        assert!(!missing.exists(), "a backup never creates its source");
        let not_ours = dir.path().join("other.db");
        SqliteConnection::establish(not_ours.to_str().unwrap()).unwrap().batch_execute("CREATE TABLE t (x)").unwrap();
        let err = backup(not_ours.to_str().unwrap(), &dir.path().join("y.db"), Duration::from_secs(5)).unwrap_err();
        assert!(err.to_string().contains("not a Diun Dashboard database"), "{err}");
        assert!(!dir.path().join("y.db").exists() && !dir.path().join(".y.db.partial").exists());
    }
}
