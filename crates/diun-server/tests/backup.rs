//! `diun-dashboard backup PATH` on a live SQLite dashboard: taken under
//! webhook load, the copy opens intact and holds every update that had been
//! answered 200 before the backup started; the webhooks keep being answered.
#![cfg(feature = "sqlite")]

mod server;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use diun_core::{Notification, Store, StoreOptions, UpdateFilter};
use diun_store_sqlite::SqliteStore;
use server::{call, Server};

const BIN: &str = env!("CARGO_BIN_EXE_diun-dashboard");

fn body(image: &str) -> Vec<u8> {
    format!(r#"{{"hostname": "load", "status": "new", "image": "{image}", "digest": "sha256:{image}"}}"#).into_bytes()
}

#[test]
fn backup_of_a_server_under_webhook_load() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("live.db");
    let database = database.to_str().unwrap().to_owned();
    // Enough rows that the copy takes a while.
    let prefilled = 20_000;
    {
        let store = SqliteStore::open(&database, &StoreOptions::default()).unwrap();
        let batch: Vec<_> = (0..prefilled)
            .map(|i| (Notification::from_json(&body(&format!("old/app{i}:1"))).unwrap(), Utc::now()))
            .collect();
        store.record_notifications(&batch).unwrap();
    }
    let server = Server::start(&database, &[]);

    // Two clients send webhooks until told to stop; each records what was answered 200.
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused = Arc::new(Mutex::new(Vec::<(String, u16)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..2)
        .map(|client| {
            let (answered, refused, stop) = (answered.clone(), refused.clone(), stop.clone());
            let url = server.url("/webhook");
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let image = format!("load/c{client}-{i}:1");
                    match call("POST", &url, Some(&body(&image))).0 {
                        200 => answered.lock().unwrap().push(image),
                        status => refused.lock().unwrap().push((image, status)),
                    }
                    i += 1;
                }
            })
        })
        .collect();

    std::thread::sleep(Duration::from_millis(800));
    let before: Vec<String> = answered.lock().unwrap().clone();
    let copy = dir.path().join("backups/copy.db");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let output = Command::new(BIN)
        .arg("backup")
        .arg(&copy)
        .env_clear()
        .env("DIUN_DASHBOARD_DATABASE_URL", &database)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let during_or_after = answered.lock().unwrap().len() - before.len();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    clients.into_iter().for_each(|c| c.join().unwrap());
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{} webhooks answered before the backup, {during_or_after} during it: {stderr}", before.len());
    assert!(output.status.success(), "backup failed: {stderr}");
    assert!(stderr.contains("backed up") && stderr.contains("copy.db"), "{stderr}");
    assert!(!before.is_empty(), "the load answered nothing before the backup");
    assert_eq!(*refused.lock().unwrap(), vec![], "every webhook is answered 200 while the backup runs");
    assert!(answered.lock().unwrap().len() > before.len(), "webhooks go on after the backup ({during_or_after})");

    // The copy opens (and migrates) as a dashboard database and holds everything answered before.
    let restored = SqliteStore::open(copy.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let images: std::collections::HashSet<String> = diun_core::page::all_updates(&restored, &UpdateFilter::default())
        .unwrap()
        .into_iter()
        .map(|u| u.image)
        .collect();
    let missing: Vec<_> = before.iter().filter(|image| !images.contains(*image)).collect();
    assert!(missing.is_empty(), "{} updates answered 200 before the backup are missing: {missing:?}", missing.len());
    assert!(images.len() >= prefilled + before.len(), "{} < {prefilled} + {}", images.len(), before.len());

    // A second backup to the same path is refused; the first stays as it was.
    let again = Command::new(BIN)
        .args(["backup", copy.to_str().unwrap()])
        .env_clear()
        .env("DIUN_DASHBOARD_DATABASE_URL", &database)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success() && stderr.contains("already exists"), "{stderr}");
    drop(server);
}

#[test]
fn backup_of_postgresql_points_to_pg_dump() {
    let output = Command::new(BIN)
        .args(["backup", "/tmp/never-written.db"])
        .env_clear()
        .env("DIUN_DASHBOARD_DATABASE_URL", "postgres://diun@db/diun")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("pg_dump"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
