//! `kill -9` of the real binary under webhook load (issue 9): after a
//! restart, every webhook that was answered 200 is stored, whole, and the
//! database is intact. 10 rounds on SQLite, 3 on PostgreSQL; the counts are
//! printed (`--no-capture` shows them).

mod server;

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use diun_core::{Store, UpdateFilter};
use serde_json::json;
use server::{call_json, Server};

const CLIENTS: usize = 4;

/// One round: load from [`CLIENTS`] clients, `kill -9` after `load_for`;
/// returns the images answered 200 and how many requests got no answer.
fn load_and_kill(server: Server, round: usize, load_for: Duration) -> (Vec<String>, usize) {
    let stop = AtomicBool::new(false);
    let counter = AtomicUsize::new(0);
    let accepted = Mutex::new(Vec::new());
    let unanswered = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (server, stop, counter, accepted, unanswered) = (&server, &stop, &counter, &accepted, &unanswered);
            scope.spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    let image = format!("registry.lan/crash-{round}-{client}-{n}:1");
                    let body = json!({"image": image, "hostname": "crash", "digest": format!("sha256:{n:064}")});
                    match call_json("POST", &server.url("/webhook"), body) {
                        (200, _) => accepted.lock().unwrap().push(image),
                        (0, _) => {
                            unanswered.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        (status, body) => panic!("{image}: {status} {body}"),
                    }
                }
            });
        }
        std::thread::sleep(load_for);
        let killed = Command::new("kill").args(["-KILL", &server.pid().to_string()]).status().unwrap();
        assert!(killed.success());
        stop.store(true, Ordering::SeqCst);
    });
    drop(server);
    (accepted.into_inner().unwrap(), unanswered.into_inner())
}

/// Every stored image, and checks each update carries its one event.
fn stored_images(store: &dyn Store) -> HashSet<String> {
    let updates = diun_core::page::all_updates(store, &UpdateFilter::default()).unwrap();
    for update in &updates {
        assert_eq!(store.list_events(update.id).unwrap().len(), 1, "{} is half-written", update.image);
    }
    updates.into_iter().map(|u| u.image).collect()
}

fn rounds(name: &str, count: usize, database_url: &str, store: &dyn Store, after_kill: &dyn Fn()) {
    let mut total = 0;
    for round in 0..count {
        let server = Server::start(database_url, &[]);
        // Kill at a different moment of the load each round.
        let load_for = Duration::from_millis(300 + 97 * (round as u64 % 5));
        let (accepted, unanswered) = load_and_kill(server, round, load_for);
        after_kill();
        // The restarted server must come up on what the killed one left.
        let restarted = Server::start(database_url, &[]);
        let stored = stored_images(store);
        let lost: Vec<&String> = accepted.iter().filter(|image| !stored.contains(*image)).collect();
        let this_round =
            stored.iter().filter(|image| image.starts_with(&format!("registry.lan/crash-{round}-"))).count();
        println!(
            "{name} round {}: {} answered 200, {this_round} stored, {unanswered} cut by the kill, {} lost",
            round + 1,
            accepted.len(),
            lost.len()
        );
        assert!(lost.is_empty(), "{name} round {round}: answered 200 but not stored: {lost:?}");
        assert!(!accepted.is_empty(), "{name} round {round}: no webhook got through before the kill");
        total += accepted.len();
        drop(restarted);
    }
    println!("{name}: {count} kill -9 rounds, {total} webhooks answered 200, none lost");
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_keeps_every_acknowledged_webhook_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    drop(Server::start(&url, &[]));
    let store = diun_store_sqlite::SqliteStore::open(&url, &diun_core::StoreOptions::default()).unwrap();
    let intact = || assert_eq!(diun_store_sqlite::check_integrity(&url).unwrap(), ["ok"], "PRAGMA integrity_check");
    rounds("SQLite", 10, &url, &store, &intact);
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_keeps_every_acknowledged_webhook_across_kill_9() {
    let Some(db) = diun_store_pg::testing::TestDatabase::create(diun_core::StoreOptions::default()) else { return };
    rounds("PostgreSQL", 3, db.url(), db.store(), &|| {});
}
