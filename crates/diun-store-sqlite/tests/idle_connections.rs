//! An idle store holds only the writer's connection: reader connections are
//! opened when reads come, and the checkpointer's closes once a burst of
//! commits is over. Each SQLite connection costs about 240 KiB.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use diun_core::{Notification, PageRequest, Store, StoreOptions, UpdateFilter};
use diun_store_sqlite::SqliteStore;

/// How many connections of this process have the database open, counted by
/// their descriptors of its WAL file: each connection opens it once and
/// closes it when it closes. (Not the database file's own: SQLite keeps a
/// closed connection's descriptor of it while other connections of the
/// process hold locks on the file, and hands it to the next one.)
fn connections(wal: &Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target == wal)
        .count()
}

/// Waits up to five seconds for `count` connections; returns how many there are.
fn settles_at(wal: &Path, count: usize) -> usize {
    let started = Instant::now();
    while connections(wal) != count && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    connections(wal)
}

#[test]
fn an_idle_store_keeps_the_writer_s_connection_only() {
    let dir = tempfile::tempdir().unwrap();
    let (path, wal) = (dir.path().join("idle.db"), dir.path().join("idle.db-wal"));
    let store = SqliteStore::open(path.to_str().unwrap(), &StoreOptions::default()).unwrap();
    assert_eq!(connections(&wal), 1, "the writer's, once open");
    store.ping().unwrap();
    assert_eq!(connections(&wal), 1, "the health check uses the writer's connection");

    // A burst of commits: the checkpointer opens a connection for their
    // checkpoints, and closes it once no commit followed within its pause.
    let burst_over = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for n in 0.. {
                if burst_over.load(Ordering::Relaxed) {
                    break;
                }
                let body = format!(r#"{{"hostname":"nas","image":"nginx:{n}","digest":"sha256:1"}}"#);
                store.record_notification(&Notification::from_json(body.as_bytes()).unwrap(), Utc::now()).unwrap();
            }
        });
        let during = settles_at(&wal, 2);
        burst_over.store(true, Ordering::Relaxed);
        assert_eq!(during, 2, "the writer's and the checkpointer's, during the burst");
    });
    assert_eq!(settles_at(&wal, 1), 1, "the checkpointer's connection is closed after the burst");

    let listed = store.list_updates(&UpdateFilter::default(), &PageRequest::default()).unwrap();
    assert!(!listed.updates.is_empty());
    assert_eq!(connections(&wal), 2, "a read opened a reader connection, kept for the next read");
}
